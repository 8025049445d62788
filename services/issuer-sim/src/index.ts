export { createIssuerSimApp, type IssuerSimOptions } from './app';
export { decide, DEFAULT_DECISION_RULES, DEFAULT_IDV_METHODS, type DecisionRule } from './decision-rules';

export { createIssuerSim, createIssuerSimApp, type Availability, type IssuerSim, type IssuerSimOptions, type IssuerSimState } from './app';
export { decide, DEFAULT_DECISION_RULES, DEFAULT_IDV_METHODS, type CardCheck, type DecisionRule } from './decision-rules';
export { CardBook, SANDBOX_CARDS, SANDBOX_CARD_EXPIRY, SIMULATOR_CVV2, type CardRecord } from './card-records';
export { SANDBOX_CARD_KEY, SANDBOX_CARD_PUBLIC_KEY } from './sandbox-card-key';
export { httpJwksSource, type JwksSource } from './tsp-jwks';
export { verifyTspSignature, SIGNATURE_MAX_AGE_SECONDS } from './signature';
export { WebhookInbox, type ReceivedWebhook } from './webhook-inbox';

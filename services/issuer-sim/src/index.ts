export { createIssuerSim, createIssuerSimApp, type Availability, type IssuerSim, type IssuerSimOptions, type IssuerSimState } from './app';
export { decide, DEFAULT_DECISION_RULES, DEFAULT_IDV_METHODS, type DecisionRule } from './decision-rules';
export { IssuerTspClient, TspApiError, type IssuerTspClientOptions } from './tsp-client';
export { httpJwksSource, type JwksSource } from './tsp-jwks';
export { verifyTspSignature, SIGNATURE_MAX_AGE_SECONDS } from './signature';
export { WebhookInbox, type ReceivedWebhook } from './webhook-inbox';

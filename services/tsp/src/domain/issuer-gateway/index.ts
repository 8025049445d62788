export { requestDecision, parseDecision, STAND_IN_IDV_METHODS, type IssuerDecision, type TokenActivationRequest } from './decision';
export { deliverOtp, type OtpDeliveryRequest } from './otp-delivery';
export { signedPost, IssuerCallError } from './signed-post';
export { applyCardVerification, issuerCardKey, type IssuerCard, type VerifiedDecision } from './card-verification';

import type { NewAuditEntry } from '../../store/audit.repository';
import type { Principal } from '../principal';

/** Who caused a token change, as webhooks report it (`WebhookEvent.data.cause`). */
export interface Cause {
  actor: 'token_requestor' | 'issuer' | 'tsp' | 'cardholder';
  clientId?: string;
  /** The request that caused it, for the audit log. */
  requestId?: string;
}

/** The cause of a change made by an authenticated caller. */
export function causeOf(principal: Principal, requestId?: string): Cause {
  const actor = principal.role === 'issuer' ? 'issuer' : principal.role === 'admin' ? 'tsp' : 'token_requestor';
  return { actor, clientId: principal.clientId, ...(requestId ? { requestId } : {}) };
}

/** The audit log's actor for a cause. */
export function auditActorOf(cause: Cause): NewAuditEntry['actor'] {
  return cause.clientId ? { type: 'client', clientId: cause.clientId } : { type: 'system' };
}

/** The webhook `cause` member (no request id). */
export function webhookCause(cause: Cause): { actor: Cause['actor']; clientId?: string } {
  return { actor: cause.actor, ...(cause.clientId ? { clientId: cause.clientId } : {}) };
}

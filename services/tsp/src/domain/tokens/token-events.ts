import type { components } from '@opentsp/api-types';
import type { TokenRow } from '../../store/tokens.repository';
import type { Executor } from '../../store/transaction';
import type { WebhookEventData } from '../webhooks';
import { auditActorOf, webhookCause, type Cause } from './cause';
import type { TokenContext } from './context';
import type { Token } from './token-view';

type EventType = components['schemas']['WebhookEventType'];

export interface TokenChange {
  row: TokenRow;
  view: Token;
  /** Webhook events to send, in order (e.g. `token.created` then `token.activated`). */
  events: EventType[];
  /** Audit action, e.g. `token.suspend`. */
  action: string;
  cause: Cause;
  previousStatus?: TokenRow['status'];
  reason?: string;
  /** Extra audit details (never card data; the audit log refuses PANs anyway). */
  details?: Record<string, unknown>;
  /** The token's expiry changed (reissue or renewal): announced as `previousTokenExpiry` / `tokenExpiry`. */
  expiryChange?: { previous: { month: number; year: number }; current: { month: number; year: number } };
}

/**
 * Records a token change inside its transaction: one audit entry and the webhook events to
 * the token requestor and the issuer (outbox, DESIGN §4), so the change, its audit trail and
 * its notifications commit or roll back together.
 */
export async function recordTokenChange(tx: Executor, ctx: TokenContext, change: TokenChange): Promise<void> {
  const { row, view, cause } = change;
  await ctx.audit.append(tx, {
    actor: auditActorOf(cause),
    action: change.action,
    subject: { type: 'token', id: row.token_ref },
    outcome: 'success',
    details: {
      status: row.status,
      ...(change.previousStatus ? { previousStatus: change.previousStatus } : {}),
      ...(change.reason ? { reason: change.reason } : {}),
      cause: cause.actor,
      cardRef: row.card_ref,
      issuerId: row.issuer_id,
      trid: row.trid,
      ...(change.expiryChange ? { previousTokenExpiry: change.expiryChange.previous, tokenExpiry: change.expiryChange.current } : {}),
      ...change.details,
    },
    ...(cause.requestId ? { requestId: cause.requestId } : {}),
  });
  const data: WebhookEventData = {
    token: view,
    ...(change.previousStatus ? { previousStatus: change.previousStatus } : {}),
    // Lifecycle reasons arrive validated against the contract's LifecycleReason.
    ...(change.reason ? { reason: change.reason as WebhookEventData['reason'] } : {}),
    ...(change.expiryChange ? { previousTokenExpiry: change.expiryChange.previous, tokenExpiry: change.expiryChange.current } : {}),
    cause: webhookCause(cause),
  };
  for (const type of change.events) {
    await ctx.ports.webhooks.emit(tx, {
      type,
      tokenRef: row.token_ref,
      data,
      targets: [
        { kind: 'requestor', clientId: row.requestor_client_id },
        { kind: 'issuer', issuerId: row.issuer_id },
      ],
    });
  }
}

import type { components } from '@opentsp/api-types';
import { tokensRepository, type TokenRow } from '../../store/tokens.repository';
import type { Executor } from '../../store/transaction';
import { AccessError, StateError } from '../../errors';
import type { Principal } from '../principal';
import { isTokenPastExpiry } from '../provisioning/token-domain';
import { cardTokens, issuerCard, requestorToken } from './access';
import { auditActorOf, causeOf, type Cause } from './cause';
import type { TokenContext } from './context';
import { recordTokenChange } from './token-events';
import { tokenView, tokenViews } from './token-reader';
import { nextStatus, type TokenTransition } from './token-states';
import type { Token } from './token-view';

type LifecycleReason = components['schemas']['LifecycleReason'];
type CardTokensResult = components['schemas']['CardTokensResult'];

export interface LifecycleInput {
  reason: LifecycleReason;
  comment?: string;
}

const EVENT: Record<TokenTransition, 'token.suspended' | 'token.resumed' | 'token.deleted' | 'token.activated'> = {
  suspend: 'token.suspended',
  resume: 'token.resumed',
  delete: 'token.deleted',
  activate: 'token.activated',
};

/** Who may lift a suspension made by whom: a requestor only its own (or the cardholder's). */
const REQUESTOR_LIFTABLE = new Set(['token_requestor', 'cardholder']);

/**
 * Applies one transition to a locked token and records it (audit + webhooks to the requestor
 * and the issuer). The state table in token-states.ts decides what is allowed (EMVCo TF §8).
 */
async function apply(tx: Executor, ctx: TokenContext, row: TokenRow, transition: TokenTransition, input: LifecycleInput, cause: Cause): Promise<TokenRow> {
  const to = nextStatus(row.status, transition);
  const changed = await tokensRepository.transition(tx, row.token_ref, [row.status], to, { reason: input.reason, actor: cause.actor });
  if (!changed) throw new StateError('token_state_conflict', 'The token changed meanwhile; retry.');
  const view = await tokenView(tx, ctx.ports, changed);
  await recordTokenChange(tx, ctx, {
    row: changed,
    view,
    events: [EVENT[transition]],
    action: `token.${transition}`,
    cause,
    previousStatus: row.status,
    reason: input.reason,
    // The comment is free text from the caller: the audit log refuses a card number in it, and
    // the caller gets 400 validation_failed (http/error-handler.ts).
    ...(input.comment ? { details: { comment: input.comment } } : {}),
  });
  return changed;
}

/**
 * Suspend / resume / delete by the token requestor (wallet). Idempotent: suspending a
 * SUSPENDED token, resuming an ACTIVE one or deleting a DELETED one answers the token as is.
 */
export async function requestorLifecycle(
  ctx: TokenContext,
  principal: Principal,
  tokenRef: string,
  transition: 'suspend' | 'resume' | 'delete',
  input: LifecycleInput,
  requestId?: string,
): Promise<Token> {
  const cause = causeOf(principal, requestId);
  return ctx.uow.transaction(async (tx) => {
    const row = await requestorToken(tx, principal, tokenRef, { forUpdate: true });
    if (isNoOp(row, transition)) return tokenView(tx, ctx.ports, row);
    if (row.status === 'DELETED') throw new StateError('token_deleted', 'The token is deleted; deletion is final.');
    if (transition === 'suspend' && row.status === 'INACTIVE') {
      throw new StateError('token_state_conflict', 'An INACTIVE token cannot be suspended; delete it instead.');
    }
    if (transition === 'resume') {
      if (!REQUESTOR_LIFTABLE.has(row.status_actor ?? '')) {
        throw new AccessError('forbidden', 'The token was suspended by the issuer or the TSP; only they can resume it.');
      }
      if (isTokenPastExpiry({ month: row.token_exp_month, year: row.token_exp_year }, ctx.clock())) {
        throw new StateError('token_past_expiry', 'The token has expired and cannot be resumed.');
      }
    }
    return tokenView(tx, ctx.ports, await apply(tx, ctx, row, transition, input, cause));
  });
}

function isNoOp(row: TokenRow, transition: 'suspend' | 'resume' | 'delete'): boolean {
  return (
    (transition === 'suspend' && row.status === 'SUSPENDED') ||
    (transition === 'resume' && row.status === 'ACTIVE') ||
    (transition === 'delete' && row.status === 'DELETED')
  );
}

/**
 * Suspend / resume / delete by the issuer, for every token of one of its cards or only
 * `tokenRefs` (e.g. card lost or stolen). Tokens the transition does not apply to (already
 * suspended, INACTIVE, DELETED, expired for resume) are returned unchanged. Deleting every
 * token of a card also deletes the card from the vault (crypto-shredding).
 */
export async function issuerCardLifecycle(
  ctx: TokenContext,
  principal: Principal,
  cardRef: string,
  transition: 'suspend' | 'resume' | 'delete',
  input: LifecycleInput & { tokenRefs?: string[] },
  requestId?: string,
): Promise<CardTokensResult> {
  const cause = causeOf(principal, requestId);
  return ctx.uow.transaction(async (tx) => {
    await issuerCard(tx, principal, cardRef);
    const rows = await cardTokens(tx, cardRef, input.tokenRefs);
    const after: TokenRow[] = [];
    for (const row of rows) after.push(appliesTo(row, transition, ctx.clock()) ? await apply(tx, ctx, row, transition, input, cause) : row);
    if (transition === 'delete' && !input.tokenRefs) {
      await ctx.ports.cards.shredCard(tx, cardRef);
      await ctx.audit.append(tx, {
        actor: auditActorOf(cause),
        action: 'card.delete',
        subject: { type: 'card', id: cardRef },
        outcome: 'success',
        details: { reason: input.reason, tokens: rows.length },
        ...(requestId ? { requestId } : {}),
      });
    }
    return { cardRef, tokens: await tokenViews(tx, ctx.ports, after) };
  });
}

function appliesTo(row: TokenRow, transition: 'suspend' | 'resume' | 'delete', now: Date): boolean {
  switch (transition) {
    case 'suspend':
      return row.status === 'ACTIVE';
    case 'resume':
      return row.status === 'SUSPENDED' && !isTokenPastExpiry({ month: row.token_exp_month, year: row.token_exp_year }, now);
    case 'delete':
      return row.status !== 'DELETED';
  }
}

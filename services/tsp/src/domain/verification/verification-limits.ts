import type { TokensConfig } from '../../config';
import { tokensRepository, type TokenRow } from '../../store/tokens.repository';
import type { Executor } from '../../store/transaction';
import type { ProvisioningRow } from '../../store/verification.repository';
import { StateError, TspError } from '../../errors';
import type { Cause } from '../tokens/cause';
import type { TokenContext } from '../tokens/context';
import { recordTokenChange } from '../tokens/token-events';
import { tokenView } from '../tokens/token-reader';

/**
 * The bounds on one-time codes of a token (DESIGN §2 flow 3, §5; issue 20): wrong codes are
 * counted per token across every challenge and method, so switching method or letting a code
 * expire never buys fresh tries; past `otpMaxAttempts` the token is deleted for good. Codes
 * sent are limited per token and window, so a new challenge cannot be had at will either.
 */

/** 429 `rate_limited`: the token's window of codes sent is full until `retryAfterSeconds` pass (HTTP `Retry-After`). */
export class CodeSendLimitError extends TspError {
  override readonly name = 'CodeSendLimitError';

  constructor(readonly retryAfterSeconds: number) {
    super('rate_limited', `Too many codes sent for this token; retry in ${retryAfterSeconds} seconds.`);
  }
}

/** 409 `verification_locked`: the token was refused for good after too many wrong codes. */
export function verificationLocked(): TspError {
  return new StateError('verification_locked', 'Too many wrong codes for this token: it is deleted and cannot be verified.');
}

/** True once the token has spent its wrong codes (it is then deleted, or being deleted). */
export function isVerificationLocked(provisioning: ProvisioningRow | undefined, config: Pick<TokensConfig, 'otpMaxAttempts'>): boolean {
  return (provisioning?.otp_failures ?? 0) >= config.otpMaxAttempts;
}

/** Wrong codes the token may still send. */
export function attemptsRemaining(provisioning: Pick<ProvisioningRow, 'otp_failures'>, config: Pick<TokensConfig, 'otpMaxAttempts'>): number {
  return Math.max(0, config.otpMaxAttempts - provisioning.otp_failures);
}

/**
 * The send window after one more code, from the locked provisioning row: a fixed window that
 * starts with the first code sent in it. A clock behind the window's start (another process,
 * a clock step back) counts as inside the window: skew never buys fresh codes.
 *
 * @throws CodeSendLimitError 429 `rate_limited` when the window already holds `otpSendLimit` codes.
 */
export function nextSendWindow(provisioning: ProvisioningRow, config: Pick<TokensConfig, 'otpSendLimit' | 'otpSendWindowSeconds'>, now: Date): { start: Date; sent: number } {
  const windowMs = config.otpSendWindowSeconds * 1000;
  const start = provisioning.codes_window_start;
  if (!start || now.getTime() >= start.getTime() + windowMs) return { start: now, sent: 1 };
  if (provisioning.codes_in_window >= config.otpSendLimit) {
    throw new CodeSendLimitError(Math.max(1, Math.ceil((start.getTime() + windowMs - now.getTime()) / 1000)));
  }
  return { start, sent: provisioning.codes_in_window + 1 };
}

/**
 * Deletes a token whose wrong codes ran out, in the transaction that counted the last one:
 * status `DELETED` with reason `fraud_suspected` (cause: the TSP), audited, and `token.deleted`
 * sent to the token requestor and the issuer (outbox), all or nothing.
 */
export async function lockToken(tx: Executor, ctx: TokenContext, token: TokenRow, details: { challengeId: string; otpFailures: number; requestId?: string }): Promise<void> {
  const cause: Cause = { actor: 'tsp', ...(details.requestId ? { requestId: details.requestId } : {}) };
  const deleted = await tokensRepository.transition(tx, token.token_ref, [token.status], 'DELETED', { reason: 'fraud_suspected', actor: cause.actor });
  if (!deleted) throw new StateError('token_state_conflict', 'The token changed meanwhile; retry.');
  const view = await tokenView(tx, ctx.ports, deleted);
  await recordTokenChange(tx, ctx, {
    row: deleted,
    view,
    events: ['token.deleted'],
    action: 'token.delete',
    cause,
    previousStatus: token.status,
    reason: 'fraud_suspected',
    details: { lockedBy: 'verification', challengeId: details.challengeId, otpFailures: details.otpFailures },
  });
}

import { verifyHotp } from '@opentsp/crypto';
import { tokensRepository } from '../../store/tokens.repository';
import type { Executor } from '../../store/transaction';
import { verificationRepository } from '../../store/verification.repository';
import { NotFoundError, StateError, TspError, ValidationError } from '../../errors';
import type { Principal } from '../principal';
import { requestorToken } from '../tokens/access';
import { auditActorOf, causeOf } from '../tokens/cause';
import type { TokenContext } from '../tokens/context';
import { recordTokenChange } from '../tokens/token-events';
import { tokenView } from '../tokens/token-reader';
import type { Token } from '../tokens/token-view';
import { otpSealContext } from './start-verification';
import { isVerificationLocked, lockToken, verificationLocked } from './verification-limits';

/** EMVCo assurance method: issuer interactive cardholder verification, one factor (OTP). */
export const ASSURANCE_OTP = '11';

/**
 * Checks the code the cardholder typed (constant-time HOTP comparison at the challenge's
 * counter, no look-ahead). Right → the token becomes ACTIVE with assurance `11` and
 * `token.activated` is sent. Wrong → `otp_invalid` with `attemptsRemaining`. Wrong codes are
 * counted per token over every challenge and method (DESIGN §2 flow 3, §5; issue 20): the
 * `otpMaxAttempts`-th deletes the token for good (`fraud_suspected`, `token.deleted` sent) and
 * is answered `verification_locked`, as is everything after it, even the right code. The
 * count is one atomic UPDATE … RETURNING under the token's row lock, so wrong codes sent at
 * once each get their own place in it. A challenge whose current code was not delivered is
 * not confirmable. Failures are committed (and offered to the risk engine's velocity
 * counters) before the error is returned.
 */
export async function confirmVerification(
  ctx: TokenContext,
  principal: Principal,
  tokenRef: string,
  input: { challengeId: string; code: string },
  options: {
    requestId?: string;
    /**
     * Runs in the activation's transaction with the token: the HTTP layer records the
     * Idempotency-Key answer there, so a retry after a crash right after the commit is answered
     * with the ACTIVE token, not `verification_not_required`.
     */
    withinCommit?: (tx: Executor, token: Token) => Promise<void>;
  } = {},
): Promise<Token> {
  const cause = causeOf(principal, options.requestId);
  const outcome = await ctx.uow.transaction(async (tx): Promise<{ token: Token } | { failure: TspError }> => {
    const token = await requestorToken(tx, principal, tokenRef, { forUpdate: true });
    const provisioning = await verificationRepository.provisioningOf(tx, tokenRef, { forUpdate: true });
    if (isVerificationLocked(provisioning, ctx.config)) throw verificationLocked();
    if (token.status === 'DELETED') throw new StateError('token_deleted', 'The token is deleted.');
    const challenge = await verificationRepository.findChallenge(tx, input.challengeId);
    if (!challenge || challenge.token_ref !== tokenRef || challenge.status === 'closed') {
      throw new NotFoundError('challenge_not_found', 'No open verification challenge with this id for this token.');
    }
    if (token.status !== 'INACTIVE' || challenge.status === 'completed') {
      throw new StateError('verification_not_required', 'The token does not need verification.');
    }
    if (challenge.status === 'locked') throw new StateError('challenge_locked', 'Too many wrong codes: this verification is locked.');
    // The issuer never took this code (delivery failed or is still under way): nobody was sent it.
    if (challenge.delivered_counter !== challenge.counter) throw new NotFoundError('challenge_not_found', 'The code of this challenge was not delivered; request a new one.');
    if (challenge.expires_at.getTime() <= ctx.clock().getTime()) throw new TspError('challenge_expired', 'The code has expired; request a new one.');

    const secret = (await ctx.ports.open(tx, challenge.sealed_secret, otpSealContext(challenge.challenge_id))).text();
    if (!verifyHotp(input.code, secret, challenge.counter)) {
      const failures = await verificationRepository.countWrongCode(tx, tokenRef);
      const locked = failures >= ctx.config.otpMaxAttempts;
      await verificationRepository.updateChallenge(tx, challenge.challenge_id, { attempts: challenge.attempts + 1 });
      await ctx.ports.risk.recordEvent(tx, {
        kind: 'otp_failed',
        subject: { tokenRef, trid: token.trid, walletAccountId: token.wallet_account_id, cardRef: token.card_ref, clientId: token.requestor_client_id },
      });
      await ctx.audit.append(tx, {
        actor: auditActorOf(cause),
        action: 'token.activate',
        subject: { type: 'token', id: tokenRef },
        outcome: 'denied',
        details: { challengeId: challenge.challenge_id, attempts: failures, locked },
        ...(cause.requestId ? { requestId: cause.requestId } : {}),
      });
      if (locked) {
        await lockToken(tx, ctx, token, { challengeId: challenge.challenge_id, otpFailures: failures, ...(cause.requestId ? { requestId: cause.requestId } : {}) });
        return { failure: verificationLocked() };
      }
      const attemptsRemaining = ctx.config.otpMaxAttempts - failures;
      return { failure: new ValidationError('otp_invalid', 'The code does not match.', { attemptsRemaining }) };
    }

    await verificationRepository.updateChallenge(tx, challenge.challenge_id, { status: 'completed' });
    const activated = await tokensRepository.transition(tx, tokenRef, ['INACTIVE'], 'ACTIVE', { assuranceMethod: ASSURANCE_OTP, actor: cause.actor });
    if (!activated) throw new StateError('token_state_conflict', 'The token changed meanwhile.');
    const view = await tokenView(tx, ctx.ports, activated);
    await recordTokenChange(tx, ctx, {
      row: activated,
      view,
      events: ['token.activated'],
      action: 'token.activate',
      cause,
      previousStatus: 'INACTIVE',
      details: { assuranceMethod: ASSURANCE_OTP, challengeId: challenge.challenge_id, methodType: (challenge.method as { type?: string }).type },
    });
    if (options.withinCommit) await options.withinCommit(tx, view);
    return { token: view };
  });
  if ('failure' in outcome) throw outcome.failure;
  return outcome.token;
}

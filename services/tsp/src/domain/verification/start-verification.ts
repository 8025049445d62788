import type { components } from '@opentsp/api-types';
import { generateOtpSecret, hotp } from '@opentsp/crypto';
import { verificationRepository, type ChallengeRow } from '../../store/verification.repository';
import { randomId } from '../../vault/ids';
import { NotFoundError, StateError, ValidationError } from '../../errors';
import { deliverOtp } from '../issuer-gateway';
import type { Principal } from '../principal';
import { requestorToken } from '../tokens/access';
import { auditActorOf, causeOf } from '../tokens/cause';
import type { TokenContext } from '../tokens/context';
import type { VerificationMethod } from '../tokens/token-view';
import { attemptsRemaining, isVerificationLocked, nextSendWindow, verificationLocked } from './verification-limits';

export type Challenge = components['schemas']['Challenge'];

/** The envelope context of a challenge's HOTP secret (AAD binds it to the challenge). */
export function otpSealContext(challengeId: string): { purpose: string; ownerRef: string } {
  return { purpose: 'otp', ownerRef: challengeId };
}

/**
 * Starts ID&V with the chosen method (DESIGN §2 flow 3; EMVCo TF §6.3): a new challenge with
 * its own random HOTP secret (RFC 4226), sealed by the vault envelope; or, with the method of
 * the open challenge, a re-send of a fresh code on it (limited per token). The code goes to
 * the issuer's OTP delivery endpoint only, after the transaction commits; it is never
 * returned to the wallet, and only once the issuer took it is the challenge confirmable (a
 * code that was not delivered cannot be guessed at). Every code sent, re-sends and method
 * switches included, counts against the token's send window (`otpSendLimit`, 429
 * `rate_limited`); a token whose wrong codes ran out gets `verification_locked` (issue 20).
 */
export async function startVerification(ctx: TokenContext, principal: Principal, tokenRef: string, methodId: string, requestId?: string): Promise<Challenge> {
  const cause = causeOf(principal, requestId);
  const { challenge, otp, method, resendsRemaining, triesLeft, row } = await ctx.uow.transaction(async (tx) => {
    const token = await requestorToken(tx, principal, tokenRef, { forUpdate: true });
    const provisioning = await verificationRepository.provisioningOf(tx, tokenRef, { forUpdate: true });
    if (isVerificationLocked(provisioning, ctx.config)) throw verificationLocked();
    if (token.status === 'DELETED') throw new StateError('token_deleted', 'The token is deleted.');
    if (token.status !== 'INACTIVE') throw new StateError('verification_not_required', 'The token does not need verification.');
    const methods = (provisioning?.idv_methods ?? []) as unknown as VerificationMethod[];
    if (!provisioning || methods.length === 0) throw new StateError('verification_not_required', 'The token does not need verification.');
    const chosen = methods.find((m) => m.id === methodId);
    if (!chosen) throw new ValidationError('verification_method_unknown', 'The method is not one of the token\'s verification methods.');

    const now = ctx.clock();
    const expiresAt = new Date(now.getTime() + ctx.config.otpTtlSeconds * 1000);
    const current = await verificationRepository.currentChallenge(tx, tokenRef);
    if (current?.status === 'locked') throw new StateError('challenge_locked', 'Too many wrong codes: this verification is locked.');

    let challengeRow: ChallengeRow;
    let secret: string;
    let resendsUsed = provisioning.resends_used;
    const sameMethod = current && (current.method as { id?: string }).id === chosen.id && current.expires_at > now;
    if (current && sameMethod) {
      // Re-send: a fresh code on the same challenge (next HOTP counter), attempts kept.
      if (resendsUsed >= ctx.config.otpResendLimit) throw new StateError('resend_limit_reached', 'No more codes can be sent for this token.');
      await verificationRepository.countCodeSent(tx, tokenRef, nextSendWindow(provisioning, ctx.config, now));
      await verificationRepository.countResend(tx, tokenRef);
      resendsUsed += 1;
      secret = (await ctx.ports.open(tx, current.sealed_secret, otpSealContext(current.challenge_id))).text();
      challengeRow = await verificationRepository.updateChallenge(tx, current.challenge_id, { counter: current.counter + 1, expiresAt });
    } else {
      await verificationRepository.countCodeSent(tx, tokenRef, nextSendWindow(provisioning, ctx.config, now));
      if (current) await verificationRepository.updateChallenge(tx, current.challenge_id, { status: 'closed' });
      const challengeId = randomId('chl_');
      secret = generateOtpSecret();
      const sealedSecret = await ctx.ports.seal(tx, otpSealContext(challengeId), secret);
      challengeRow = await verificationRepository.insertChallenge(tx, {
        challengeId,
        tokenRef,
        method: chosen as unknown as Record<string, unknown>,
        sealedSecret,
        maxAttempts: ctx.config.otpMaxAttempts,
        expiresAt,
      });
    }
    await ctx.audit.append(tx, {
      actor: auditActorOf(cause),
      action: sameMethod ? 'token.verification_resend' : 'token.verification_start',
      subject: { type: 'token', id: tokenRef },
      outcome: 'success',
      details: { challengeId: challengeRow.challenge_id, methodId: chosen.id, methodType: chosen.type },
      ...(requestId ? { requestId } : {}),
    });
    return {
      challenge: challengeRow,
      otp: hotp(secret, challengeRow.counter),
      method: chosen,
      resendsRemaining: Math.max(0, ctx.config.otpResendLimit - resendsUsed),
      triesLeft: attemptsRemaining(provisioning, ctx.config),
      row: token,
    };
  });

  const issuer = ctx.ports.registry.getIssuer(row.issuer_id);
  if (!issuer) throw new NotFoundError('issuer_not_found', 'The token\'s issuer is not registered.');
  await deliverOtp(
    issuer,
    {
      challengeId: challenge.challenge_id,
      tokenRef,
      cardRef: row.card_ref,
      method,
      otp,
      expiresAt: challenge.expires_at.toISOString(),
    },
    { signingKey: ctx.ports.signingKey(), timeoutMs: ctx.config.issuerTimeoutMs, guard: ctx.outbound },
  );
  // Only now can the code be confirmed: a failed delivery (thrown above) leaves it unconfirmable.
  await verificationRepository.markDelivered(ctx.uow.executor, challenge.challenge_id, challenge.counter);
  return challengeView(challenge, method, resendsRemaining, triesLeft);
}

/** `attemptsRemaining`: wrong codes the token may still send, over all its challenges. */
export function challengeView(row: ChallengeRow, method: VerificationMethod, resendsRemaining: number, triesLeft: number): Challenge {
  return {
    challengeId: row.challenge_id,
    tokenRef: row.token_ref,
    method,
    expiresAt: row.expires_at.toISOString(),
    attemptsRemaining: triesLeft,
    resendsRemaining,
  };
}

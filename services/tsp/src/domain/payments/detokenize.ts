import type { components } from '@opentsp/api-types';
import { encryptCompact } from '@opentsp/crypto';
import type { AuditActor } from '../../store/audit-entries.table';
import { paymentsRepository, type DetokenizeRow, type PaymentAuditEntry } from '../../store/payments.repository';
import type { Executor, UnitOfWork } from '../../store/transaction';
import { AccessError, NotFoundError, StateError, TspError } from '../../errors';
import type { IdentityRegistry } from '../identity';
import type { Principal } from '../principal';
import type { CallerKeys } from './caller-keys';
import { verifyCryptogram, type CryptogramKeys } from './cryptogram-mac';
import type { CardReader, RiskPort } from './ports';
import { assertChannelInDomain, assertMerchantInTokenDomain, assertPresentedExpiry, assertTokenUsable, usableTokenOf } from './token-checks';

export type DetokenizeRequest = components['schemas']['DetokenizeRequest'];
export type DetokenizeResponse = components['schemas']['DetokenizeResponse'];

export interface DetokenizeDeps {
  db: Executor;
  uow: UnitOfWork;
  keys: CryptogramKeys;
  callerKeys: CallerKeys;
  registry: IdentityRegistry;
  cards: CardReader;
  risk: RiskPort;
  /** Counts outcomes (`granted` or the refusal code). */
  onOutcome?: (outcome: string) => void;
  /**
   * The calendar clock of the token expiry check. Risk windows and the cryptogram's lifetime
   * keep real time: they are stamped by the database's now().
   */
  clock: () => Date;
  /** How long after a token expiry change the previous expiry is still accepted. */
  expiryGraceMs: number;
}

/**
 * Runs inside the transaction that consumes the ATC, with the answer about to be given: the
 * HTTP layer records the Idempotency-Key answer there (a crash cannot separate the consumed
 * ATC from its answer). The answer holds the card (a JWE), so it names the card (its stored
 * copy is sealed under the card's own key and dies with it) and the audit entry each replay
 * writes (DESIGN §4; issue 20).
 */
export type DetokenizeCommitHook = (
  tx: Executor,
  response: DetokenizeResponse,
  card: { cardRef: string; replayAudit: { action: string; subject: { type: string; id: string }; details: Record<string, unknown> } },
) => Promise<void>;

/** Facts gathered along the way, for the audit entry of a refusal. */
interface Attempt {
  tokenRef?: string;
  decisionId?: string;
}

/**
 * De-tokenisation with verification (EMVCo Payment Tokenisation Technical Framework v2.3
 * §6.3; DESIGN §2 flow 7). Checks in order, each refusal with its own code and an audit
 * entry (`outcome: denied`, details `{ code, tokenRef?, merchantId, atc, decisionId? }`):
 *
 * 1. caller allowed: an acquirer or card-on-file merchant with a response key (`forbidden`);
 * 2. token known (`token_not_found`), expiry as presented: the token's, or its previous one
 *    within the grace window after a change (`token_expiry_mismatch`), not
 *    deleted (`token_deleted`), ACTIVE (`token_not_active`), unexpired (`token_past_expiry`);
 * 3. domain: channel (`domain_channel_not_allowed`), merchant served by the caller and in the
 *    token's domain (`domain_merchant_not_allowed`), requestor kind (`requestor_kind_not_allowed`);
 * 4. amount and currency as issued (`amount_mismatch`), cryptogram valid for exactly this
 *    data (`cryptogram_invalid`), ATC not used before (`atc_replayed`), cryptogram unexpired;
 * 5. risk rules (`detokenize_declined` with `reasonCodes`).
 *
 * Cost on success: one transaction of four round trips: BEGIN, one read (token + card state +
 * issuance, counting this detokenization in the token's velocity counter), one statement
 * storing the risk decision, consuming the ATC and writing the success audit entry, COMMIT;
 * the rules in memory, one AES-GCM decryption (its data key read when not cached) and one JWE.
 * With an Idempotency-Key, two more statements in the same transaction (`withinCommit`: the
 * card's key row is read to seal the answer under it, and the answer is stored).
 * Of two concurrent uses of one cryptogram exactly one consumes it; the other gets `atc_replayed`.
 */
export async function detokenize(
  deps: DetokenizeDeps,
  principal: Principal,
  request: DetokenizeRequest,
  requestId?: string,
  withinCommit?: DetokenizeCommitHook,
): Promise<DetokenizeResponse> {
  const attempt: Attempt = {};
  try {
    const response = await run(deps, principal, request, attempt, requestId, withinCommit);
    deps.onOutcome?.('granted');
    return response;
  } catch (err) {
    const refused = err instanceof TspError;
    const code = refused ? err.code : 'internal_error';
    deps.onOutcome?.(code);
    if (refused && alreadyAudited.has(err)) throw err;
    // The attempt is recorded on its own (nothing else was written for it): `denied` for a
    // refusal, `failed` for an internal error (best effort: the original error wins).
    const entry = refused
      ? refusalEntry(principal, request, err, attempt, requestId)
      : auditEntry(principal, request, 'failed', requestId, {
          code,
          ...(attempt.tokenRef ? { tokenRef: attempt.tokenRef } : {}),
          ...(attempt.decisionId ? { decisionId: attempt.decisionId } : {}),
        });
    if (refused) await paymentsRepository.appendAudit(deps.db, entry);
    else await paymentsRepository.appendAudit(deps.db, entry).catch(() => undefined);
    throw err;
  }
}

async function run(
  deps: DetokenizeDeps,
  principal: Principal,
  request: DetokenizeRequest,
  attempt: Attempt,
  requestId: string | undefined,
  withinCommit: DetokenizeCommitHook | undefined,
): Promise<DetokenizeResponse> {
  const tx = request.transaction;
  if ((principal.role !== 'acquirer' && principal.role !== 'cof_merchant') || !deps.callerKeys.canReceive(principal.clientId)) {
    throw new AccessError('forbidden', 'This client may not detokenize (an acquirer or merchant with a registered response key).');
  }

  // The keys that may need the database on a cold cache are loaded first, on the pool: inside
  // the transaction every statement goes over its one connection, and a request holding it
  // must never wait for another (a pool of N with N such requests would wait for ever).
  const [callerKey] = await Promise.all([deps.callerKeys.keyFor(principal.clientId), deps.keys.ready()]);

  // One transaction, four round trips on success (DESIGN §8): BEGIN; the one read, which also
  // counts this detokenization in the token's velocity counter; one statement storing the risk
  // decision, consuming the ATC and writing the audit entry; COMMIT. A check that refuses
  // before the risk decision throws: the count rolls back (as when the engine counted after
  // the checks) and `detokenize` audits the attempt on its own.
  const now = new Date();
  const result = await deps.uow.transaction(async (trx): Promise<{ response: DetokenizeResponse } | { refused: TspError }> => {
    const row = await paymentsRepository.readForDetokenize(trx, request.tokenPan, request.atc, deps.risk.counter(now));
    if (!row) throw new NotFoundError('token_not_found', 'No token with this token PAN.');
    attempt.tokenRef = row.token_ref;
    const today = deps.clock();
    assertPresentedExpiry(row, request.tokenExpiry, today, deps.expiryGraceMs);
    const token = usableTokenOf(row);
    assertTokenUsable(token, today);
    assertChannelInDomain(token, tx.channel);
    assertCallerServesMerchant(deps, principal, tx.merchantId);
    assertMerchantInTokenDomain(token, tx.merchantId);
    assertRequestorKind(deps, principal, row, tx.channel);
    await assertCryptogram(deps, row, request, tx.transactionType ?? 'purchase');

    const risk = await deps.risk.evaluate(
      {
        kind: 'detokenization',
        subject: { tokenRef: row.token_ref, cardRef: row.card_ref, trid: row.trid, clientId: principal.clientId },
        signals: {
          transaction: {
            amount: tx.amount,
            currency: tx.currency,
            merchantId: tx.merchantId,
            channel: tx.channel,
            ...(tx.merchantCategoryCode ? { merchantCategoryCode: tx.merchantCategoryCode } : {}),
          },
        },
      },
      { h1: row.vel_h1, h24: row.vel_h24 },
      now,
    );
    const decision = risk.verdict;
    attempt.decisionId = decision.decisionId;
    // Detokenization has no step-up: anything but approve is a decline, stored with its
    // decision and the refusal's audit entry in one statement.
    if (decision.outcome !== 'approve') {
      const refused = new AccessError('detokenize_declined', 'The detokenization was declined by risk rules.', {
        reasonCodes: decision.reasonCodes,
        decisionId: decision.decisionId,
      });
      await paymentsRepository.appendAuditWithDecision(trx, refusalEntry(principal, request, refused, attempt, requestId), risk.write);
      return { refused };
    }
    // Decrypt and encrypt to the caller before consuming: a vault failure must not burn the ATC.
    const card = await openFundingCard(deps, trx, row);
    const encryptedCard = await encryptCompact(
      { pan: card.revealPan(), expMonth: card.expMonth, expYear: card.expYear },
      callerKey.jwk,
      { alg: callerKey.alg },
    );
    const success = auditEntry(principal, request, 'success', requestId, { tokenRef: row.token_ref, decisionId: decision.decisionId });
    if (!(await paymentsRepository.consume(trx, row.token_ref, request.atc, success, risk.write))) {
      // Lost the race for this ATC: the decision is stored (same statement), the refusal too.
      const refused = replayed();
      await paymentsRepository.appendAudit(trx, refusalEntry(principal, request, refused, attempt, requestId));
      return { refused };
    }
    const response = responseOf(row, encryptedCard, decision.decisionId);
    await withinCommit?.(trx, response, {
      cardRef: row.card_ref,
      replayAudit: { action: success.action, subject: success.subject, details: success.details },
    });
    return { response };
  });
  if ('refused' in result) {
    alreadyAudited.add(result.refused);
    throw result.refused;
  }
  return result.response;
}

function responseOf(row: DetokenizeRow, encryptedCard: string, decisionId: string): DetokenizeResponse {
  return {
    tokenRef: row.token_ref,
    encryptedCard,
    par: row.par,
    trid: row.trid,
    assuranceMethod: row.assurance_method,
    tokenStatus: row.status,
    decisionId,
  };
}

/** The caller detokenizes only for merchants it is registered for. */
function assertCallerServesMerchant(deps: DetokenizeDeps, principal: Principal, merchantId: string): void {
  const served = principal.merchantIds ?? deps.registry.getClient(principal.clientId)?.merchantIds ?? [];
  if (!served.includes(merchantId)) {
    throw new AccessError('domain_merchant_not_allowed', 'The caller is not registered for this merchant.');
  }
}

/**
 * Requestor-kind rules of the token domain: a card-on-file requestor's token is a stored
 * credential, usable only in the `cof` channel; a card-on-file merchant detokenizes only its
 * own tokens.
 */
function assertRequestorKind(deps: DetokenizeDeps, principal: Principal, row: DetokenizeRow, channel: string): void {
  const requestor = deps.registry.getRequestorByTrid(row.trid);
  if (requestor?.role === 'cof_merchant' && channel !== 'cof') {
    throw new AccessError('requestor_kind_not_allowed', 'A card-on-file token is usable only in the cof channel.');
  }
  if (principal.role === 'cof_merchant' && row.requestor_client_id !== principal.clientId) {
    throw new AccessError('requestor_kind_not_allowed', 'A card-on-file merchant detokenizes only its own tokens.');
  }
}

async function assertCryptogram(deps: DetokenizeDeps, row: DetokenizeRow, request: DetokenizeRequest, transactionType: string): Promise<void> {
  const tx = request.transaction;
  // No issuance for this ATC: nothing we handed out (a guessed or forged value).
  if (row.iss_atc === null) throw invalidCryptogram();
  if (row.iss_amount !== tx.amount || row.iss_currency !== tx.currency) {
    throw new AccessError('amount_mismatch', 'The amount or currency differs from what the cryptogram was issued for.');
  }
  const key = await deps.keys.keyFor(row.token_ref);
  const valid = verifyCryptogram(
    key,
    {
      tokenPan: row.token_pan,
      atc: request.atc,
      amount: tx.amount,
      currency: tx.currency,
      merchantId: tx.merchantId,
      channel: tx.channel,
      transactionType,
      unpredictableNumber: tx.unpredictableNumber,
    },
    request.cryptogram,
  );
  if (!valid) throw invalidCryptogram();
  if (row.iss_used_at !== null) throw replayed();
  if (row.iss_expires_at !== null && row.iss_expires_at.getTime() <= Date.now()) {
    throw new AccessError('cryptogram_invalid', 'The cryptogram has expired.');
  }
}

/** Refusals already audited inside the transaction that decided them. */
const alreadyAudited = new WeakSet<TspError>();

function refusalEntry(
  principal: Principal,
  request: DetokenizeRequest,
  err: TspError,
  attempt: Attempt,
  requestId: string | undefined,
): PaymentAuditEntry {
  const reasonCodes = err.extensions.reasonCodes;
  return auditEntry(principal, request, 'denied', requestId, {
    code: err.code,
    ...(attempt.tokenRef ? { tokenRef: attempt.tokenRef } : {}),
    ...(attempt.decisionId ? { decisionId: attempt.decisionId } : {}),
    ...(Array.isArray(reasonCodes) ? { reasonCodes } : {}),
  });
}

function invalidCryptogram(): AccessError {
  return new AccessError('cryptogram_invalid', 'The cryptogram is not valid for this token and transaction.');
}

function replayed(): StateError {
  return new StateError('atc_replayed', 'This cryptogram (ATC) was already used.');
}

function auditEntry(
  principal: Principal,
  request: DetokenizeRequest,
  outcome: 'success' | 'denied' | 'failed',
  requestId: string | undefined,
  extra: Record<string, unknown>,
): PaymentAuditEntry {
  const actor: AuditActor = { type: 'client', clientId: principal.clientId };
  const tokenRef = typeof extra.tokenRef === 'string' ? extra.tokenRef : undefined;
  return {
    actor,
    action: 'detokenize',
    // A refusal before the token is known names no token: the subject is the caller.
    subject: tokenRef ? { type: 'token', id: tokenRef } : { type: 'client', id: principal.clientId },
    outcome,
    details: { ...extra, merchantId: request.transaction.merchantId, channel: request.transaction.channel, atc: request.atc },
    ...(requestId ? { requestId } : {}),
  };
}

/**
 * The funding card from the columns the one read returned; if the card changed since (a
 * reissue replaced its data key), read it afresh inside the transaction.
 */
async function openFundingCard(deps: DetokenizeDeps, trx: Executor, row: DetokenizeRow) {
  try {
    return await deps.cards.openSealedCard(trx, {
      cardRef: row.card_ref,
      issuerId: row.issuer_id,
      status: row.card_status,
      dekId: row.card_dek_id,
      ciphertext: row.card_ciphertext,
      expMonth: row.card_exp_month ?? 0,
      expYear: row.card_exp_year ?? 0,
    });
  } catch {
    return deps.cards.readCard(trx, row.card_ref);
  }
}

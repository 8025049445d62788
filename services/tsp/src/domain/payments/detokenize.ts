import type { components } from '@opentsp/api-types';
import { encryptCompact } from '@opentsp/crypto';
import type { AuditActor } from '../../store/audit-entries.table';
import { detokenizeRepository } from '../../store/detokenize.repository';
import { paymentsRepository, type DetokenizeRow, type PaymentAuditEntry } from '../../store/payments.repository';
import type { StatementTarget } from '../../store/prepared-statement';
import type { Executor, UnitOfWork } from '../../store/transaction';
import { AccessError, NotFoundError, StateError, TspError, UnavailableError } from '../../errors';
import type { IdentityRegistry } from '../identity';
import type { Principal } from '../principal';
import type { CallerKey, CallerKeys } from './caller-keys';
import { verifyCryptogram, type CryptogramKeys } from './cryptogram-mac';
import type { CardReader, RiskPort } from './ports';
import { assertChannelInDomain, assertMerchantInTokenDomain, assertPresentedExpiry, assertTokenUsable, usableTokenOf } from './token-checks';

export type DetokenizeRequest = components['schemas']['DetokenizeRequest'];
export type DetokenizeResponse = components['schemas']['DetokenizeResponse'];

export interface DetokenizeDeps {
  db: Executor;
  /** The pool, for the hot path's prepared statements in autocommit. */
  autocommit: StatementTarget;
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
 * Cost on success: two statements in autocommit and one durable commit (DESIGN §8;
 * store/detokenize.repository.ts): one read (token + card state and its wrapped data key +
 * issuance + the token's velocity counts), then, after the checks and the rules in memory, one
 * AES-GCM decryption (its data key unwrapped when not cached) and one JWE, one write storing the
 * risk decision, counting the detokenization, consuming the ATC and writing the success audit
 * entry. A concurrent detokenization of the same token that counted in between makes the write a
 * no-op: read and decide again. With an Idempotency-Key, the two statements run in a transaction
 * with two more (`withinCommit`: the card's key row is read to seal the answer under it, and it
 * is stored). Of two concurrent uses of one cryptogram exactly one consumes it; the other gets
 * `atc_replayed`.
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
  if ((principal.role !== 'acquirer' && principal.role !== 'cof_merchant') || !deps.callerKeys.canReceive(principal.clientId)) {
    throw new AccessError('forbidden', 'This client may not detokenize (an acquirer or merchant with a registered response key).');
  }

  // The keys that may need the database on a cold cache are loaded first, on the pool: inside
  // a transaction every statement goes over its one connection, and a request holding it
  // must never wait for another (a pool of N with N such requests would wait for ever).
  const [callerKey] = await Promise.all([deps.callerKeys.keyFor(principal.clientId), deps.keys.ready()]);

  // Without an Idempotency-Key: two statements in autocommit, one durable commit (DESIGN §8;
  // store/detokenize.repository.ts). With one, the same two statements in a transaction that
  // also records the answer (`withinCommit`): a crash cannot separate the consumed ATC from it.
  const result = withinCommit
    ? await deps.uow.transaction((trx) => decide(deps, { executor: trx }, trx, principal, request, attempt, requestId, callerKey, withinCommit))
    : await decide(deps, deps.autocommit, deps.db, principal, request, attempt, requestId, callerKey, undefined);
  if ('refused' in result) {
    alreadyAudited.add(result.refused);
    throw result.refused;
  }
  return result.response;
}

/**
 * How often a detokenization reads and decides again when other detokenizations of the same
 * token keep counting between its read and its write (each round at least one of them wins).
 */
const MAX_ROUNDS = 32;

/**
 * The read, the checks, the rules and the one write. A check that refuses before the rules
 * throws: nothing was counted (the read writes nothing) and `detokenize` audits the attempt on
 * its own. A decline and a lost ATC race are audited by the write itself and returned.
 */
async function decide(
  deps: DetokenizeDeps,
  target: StatementTarget,
  executor: Executor,
  principal: Principal,
  request: DetokenizeRequest,
  attempt: Attempt,
  requestId: string | undefined,
  callerKey: CallerKey,
  withinCommit: DetokenizeCommitHook | undefined,
): Promise<{ response: DetokenizeResponse } | { refused: TspError }> {
  const tx = request.transaction;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const now = new Date();
    const read = await detokenizeRepository.read(target, request.tokenPan, request.atc, deps.risk.counter(now));
    if (!read) throw new NotFoundError('token_not_found', 'No token with this token PAN.');
    const { row, seen } = read;
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
      if (!(await detokenizeRepository.decline(target, seen, risk.write, refusalEntry(principal, request, refused, attempt, requestId)))) continue;
      return { refused };
    }
    // Decrypt and encrypt to the caller before consuming: a vault failure must not burn the ATC.
    const card = await openFundingCard(deps, executor, row);
    const encryptedCard = await encryptCompact(
      { pan: card.revealPan(), expMonth: card.expMonth, expYear: card.expYear },
      callerKey.jwk,
      { alg: callerKey.alg },
    );
    const success = auditEntry(principal, request, 'success', requestId, { tokenRef: row.token_ref, decisionId: decision.decisionId });
    const written = await detokenizeRepository.grant(
      target,
      seen,
      risk.write,
      { tokenRef: row.token_ref, atc: request.atc },
      success,
      // The refusal's entry, in case this request loses the race for the ATC. Only its code
      // is needed: the error itself (and its stack trace, ~1 % of a worker) is made on a loss.
      refusalEntry(principal, request, REPLAYED, attempt, requestId),
    );
    if (!written.counted) continue;
    // Lost the race for this ATC: the decision and the refusal's entry are stored (same statement).
    if (!written.consumed) return { refused: replayed() };
    const response = responseOf(row, encryptedCard, decision.decisionId);
    await withinCommit?.(executor, response, {
      cardRef: row.card_ref,
      replayAudit: { action: success.action, subject: success.subject, details: success.details },
    });
    return { response };
  }
  throw new UnavailableError('service_unavailable', 'This token is being detokenized by many requests at once; retry shortly.');
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
  err: Pick<TspError, 'code' | 'extensions'>,
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

/** The ATC refusal, as its audit entry needs it before (and without) the error itself. */
const REPLAYED = { code: 'atc_replayed', extensions: {} } as const satisfies Pick<TspError, 'code' | 'extensions'>;

function replayed(): StateError {
  return new StateError(REPLAYED.code, 'This cryptogram (ATC) was already used.');
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
      wrappedKey:
        row.card_dek_id && row.card_kek_version !== null && row.card_wrapped_key
          ? { id: row.card_dek_id, kekVersion: row.card_kek_version, wrappedKey: row.card_wrapped_key }
          : undefined,
    });
  } catch {
    return deps.cards.readCard(trx, row.card_ref);
  }
}

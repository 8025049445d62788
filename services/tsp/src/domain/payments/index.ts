import { clockOf, type ServiceContext } from '../../context';
import { detokenizeOutcomeCounter } from '../../observability/area-metrics';
import type { Principal } from '../principal';
import type { UnitOfWork } from '../../store/transaction';
import type { IdentityRegistry } from '../identity';
import { CallerKeys } from './caller-keys';
import { CryptogramKeys } from './cryptogram-mac';
import { detokenize, type DetokenizeCommitHook, type DetokenizeRequest, type DetokenizeResponse } from './detokenize';
import { issuePaymentCredentials, type CryptogramRequest, type PaymentCredentials } from './payment-credentials';
import type { PaymentPorts } from './ports';

export type { CryptogramRequest, PaymentCredentials, DetokenizeCommitHook, DetokenizeRequest, DetokenizeResponse };
export { canonicalCryptogramInput, computeCryptogram, verifyCryptogram } from './cryptogram-mac';

/** What the payments area provides: payment credentials (cryptograms) and detokenization. */
export interface PaymentServices {
  /**
   * `POST /v1/tokens/{tokenRef}/cryptograms`: payment credentials for one transaction.
   *
   * @example
   * ```ts
   * const credentials = await services.payments.createPaymentCredentials(principal, 'tok_…', {
   *   amount: 12800, currency: 'CNY', merchantId: '898310048160001', channel: 'nfc',
   * });
   * ```
   */
  createPaymentCredentials(
    principal: Principal,
    tokenRef: string,
    request: CryptogramRequest,
    requestId?: string,
  ): Promise<PaymentCredentials>;
  /**
   * `POST /v1/detokenize`: the funding card as a JWE to the caller, after every check
   * (see detokenize.ts); each attempt is audited. `withinCommit` runs in the transaction that
   * consumes the ATC (the Idempotency-Key answer, sealed under the card's key).
   */
  detokenize(principal: Principal, request: DetokenizeRequest, requestId?: string, withinCommit?: DetokenizeCommitHook): Promise<DetokenizeResponse>;
}

/** What the payments area is built on: the vault and the risk engine only through `ports`. */
export interface PaymentDependencies {
  readonly uow: UnitOfWork;
  /** The identity area's registry (callers' keys, token domains). */
  readonly registry: IdentityRegistry;
  readonly ports: PaymentPorts;
}

export async function createPaymentServices(ctx: ServiceContext, deps: PaymentDependencies): Promise<PaymentServices> {
  const { db } = ctx.database;
  const settings = ctx.config.payments;
  const { ports, registry } = deps;
  const keys = new CryptogramKeys(db, ports.sealer, settings.tokenKeyCacheSize);
  const callerKeys = new CallerKeys(db, registry, ports.sealer, settings.clientKeyCacheSize);
  const countOutcome = detokenizeOutcomeCounter(ctx.metrics);
  const detokenizeDeps = {
    db,
    autocommit: { pool: ctx.database.pool },
    uow: deps.uow,
    keys,
    callerKeys,
    registry,
    cards: ports.cards,
    risk: ports.risk,
    onOutcome: countOutcome,
    clock: clockOf(ctx),
    expiryGraceMs: ctx.config.tokenExpiry.graceDays * 86_400_000,
  };
  const credentialDeps = { db, autocommit: { pool: ctx.database.pool }, keys, registry, ttlSeconds: settings.cryptogramTtlSeconds, clock: clockOf(ctx) };
  return {
    createPaymentCredentials: (principal, tokenRef, request, requestId) =>
      issuePaymentCredentials(credentialDeps, principal, tokenRef, request, requestId),
    detokenize: (principal, request, requestId, withinCommit) => detokenize(detokenizeDeps, principal, request, requestId, withinCommit),
  };
}

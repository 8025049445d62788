import type { components } from '@opentsp/api-types';
import type { AuditLog } from '../../audit/audit-log';
import { clockOf, type BackgroundJobs, type ServiceContext, type StopFn } from '../../context';
import type { TokenRow } from '../../store/tokens.repository';
import type { Executor, UnitOfWork } from '../../store/transaction';
import type { IssuerAdmin } from '../identity/issuers';
import type { Principal } from '../principal';
import { provision, type ProvisionOptions, type ProvisionRequest } from '../provisioning/provision';
import { confirmVerification } from '../verification/confirm-verification';
import { startVerification, type Challenge } from '../verification/start-verification';
import { registerCard, updateCard } from './cards';
import type { TokenContext } from './context';
import { createToken, type CreateTokenInput } from './create-token';
import { issuerCardLifecycle, requestorLifecycle, type LifecycleInput } from './lifecycle';
import { translateCardOwnership, type TokenPorts } from './ports';
import { createPushedToken, type PushedTokenInput } from './pushed-token';
import { getIssuerToken, getToken, listIssuerTokens, listTokens, type IssuerTokenSearch, type Page } from './queries';
import { issuerTokenHistory } from './token-history';
import { tokenBinUsage } from './token-bin-usage';
import { renewExpiringTokens, RENEWAL_CRONTAB, RENEWAL_TASK, type RenewalOptions } from './token-expiry';
import type { Token } from './token-view';
import { outboundGuardFor } from '../../util/outbound-guard';

type TokenList = components['schemas']['TokenList'];
type TokenStatus = components['schemas']['TokenStatus'];
type Card = components['schemas']['Card'];
type CreateCardRequest = components['schemas']['CreateCardRequest'];
type CardUpdateResult = components['schemas']['CardUpdateResult'];
type CardTokensResult = components['schemas']['CardTokensResult'];
type TokenHistoryPage = components['schemas']['TokenHistoryPage'];
type TokenBinUsageList = components['schemas']['TokenBinUsageList'];

export type { PushedTokenInput, CreateTokenInput, Token, TokenList, Challenge, ProvisionRequest, LifecycleInput, IssuerTokenSearch };

/**
 * What the tokens area provides: provisioning (wallet-initiated), ID&V step-up, lifecycle,
 * the wallet's and the issuer's token views, card registration and reissue, and the reusable
 * `createToken` for other flows (push receipts, direct push).
 */
export interface TokenServices {
  /**
   * Creates a token in the caller's transaction (token number, insert, decision record,
   * `token.provision` audit, `token.created` [+ `token.activated`] webhooks).
   */
  createToken(tx: Executor, input: CreateTokenInput): Promise<{ row: TokenRow; token: Token }>;
  /** `createToken` for push flows: ACTIVE, assurance `14`, no issuer decision call. */
  createPushedToken(tx: Executor, input: PushedTokenInput): Promise<Token>;
  provision(principal: Principal, request: ProvisionRequest, options?: ProvisionOptions): Promise<Token>;
  startVerification(principal: Principal, tokenRef: string, methodId: string, requestId?: string): Promise<Challenge>;
  /** `withinCommit` runs in the activation's transaction (the Idempotency-Key answer, for crash safety). */
  confirmVerification(
    principal: Principal,
    tokenRef: string,
    input: { challengeId: string; code: string },
    requestId?: string,
    withinCommit?: (tx: Executor, token: Token) => Promise<void>,
  ): Promise<Token>;
  getToken(principal: Principal, tokenRef: string): Promise<Token>;
  listTokens(principal: Principal, filter: { walletAccountId?: string; status?: TokenStatus } & Page): Promise<TokenList>;
  /** The issuer's token search (console): filters combine with AND; `panLast4` needs `cardExpiry`. */
  listIssuerTokens(principal: Principal, search: IssuerTokenSearch): Promise<TokenList>;
  /** One of the issuer's tokens; `token_not_found` for another issuer's. */
  getIssuerToken(principal: Principal, tokenRef: string): Promise<Token>;
  /** The history of one of the issuer's tokens, oldest first (audit, risk decisions, webhook deliveries). */
  issuerTokenHistory(principal: Principal, tokenRef: string, page: Page): Promise<TokenHistoryPage>;
  /** Capacity, allocated numbers and live tokens of each token BIN range of an issuer (operators). */
  tokenBinUsage(issuerId: string): Promise<TokenBinUsageList>;
  /** Suspend / resume / delete one token by its token requestor. */
  requestorLifecycle(principal: Principal, tokenRef: string, transition: 'suspend' | 'resume' | 'delete', input: LifecycleInput, requestId?: string): Promise<Token>;
  /** Suspend / resume / delete the tokens of one of the issuer's cards (all, or `tokenRefs`). */
  issuerCardLifecycle(
    principal: Principal,
    cardRef: string,
    transition: 'suspend' | 'resume' | 'delete',
    input: LifecycleInput & { tokenRefs?: string[] },
    requestId?: string,
  ): Promise<CardTokensResult>;
  registerCard(principal: Principal, request: CreateCardRequest, requestId?: string): Promise<{ card: Card; created: boolean }>;
  updateCard(principal: Principal, cardRef: string, encryptedCard: string, requestId?: string): Promise<CardUpdateResult>;
  /**
   * Renews the expiry of every live token nearing it whose card runs longer, announcing each
   * (`token.updated`); the scheduled job's body, idempotent. Returns how many were renewed.
   */
  renewExpiringTokens(options?: RenewalOptions): Promise<number>;
  /** The area's scheduled jobs (expiry renewal, hourly), run by the service's job worker. */
  readonly jobs: BackgroundJobs;
  /** Background work of the area, if any; resolves to its stop. */
  start?(): Promise<StopFn>;
}

/** What the tokens area is built on: the other areas reach it only through `ports`. */
export interface TokenDependencies {
  readonly uow: UnitOfWork;
  readonly audit: AuditLog;
  /** The identity area's issuer admin (token BIN range usage). */
  readonly issuers: IssuerAdmin;
  readonly ports: TokenPorts;
}

export async function createTokenServices(ctx: ServiceContext, deps: TokenDependencies): Promise<TokenServices> {
  const tc: TokenContext = { uow: deps.uow, audit: deps.audit, ports: translateCardOwnership(deps.ports), config: ctx.config.tokens, logger: ctx.logger, outbound: outboundGuardFor(ctx.config), clock: clockOf(ctx), expiry: ctx.config.tokenExpiry };
  return {
    createToken: (tx, input) => createToken(tx, tc, input),
    createPushedToken: (tx, input) => createPushedToken(tx, tc, input),
    provision: (principal, request, options) => provision(tc, principal, request, options),
    startVerification: (principal, tokenRef, methodId, requestId) => startVerification(tc, principal, tokenRef, methodId, requestId),
    confirmVerification: (principal, tokenRef, input, requestId, withinCommit) =>
      confirmVerification(tc, principal, tokenRef, input, { ...(requestId ? { requestId } : {}), ...(withinCommit ? { withinCommit } : {}) }),
    getToken: (principal, tokenRef) => getToken(tc, principal, tokenRef),
    listTokens: (principal, filter) => listTokens(tc, principal, filter),
    listIssuerTokens: (principal, search) => listIssuerTokens(tc, principal, search),
    getIssuerToken: (principal, tokenRef) => getIssuerToken(tc, principal, tokenRef),
    issuerTokenHistory: (principal, tokenRef, page) => issuerTokenHistory(tc, principal, tokenRef, page),
    tokenBinUsage: (issuerId) =>
      tokenBinUsage({ executor: deps.uow.executor, issuers: deps.issuers, cardRanges: () => deps.ports.registry.allCardBinRanges() }, issuerId),
    requestorLifecycle: (principal, tokenRef, transition, input, requestId) => requestorLifecycle(tc, principal, tokenRef, transition, input, requestId),
    issuerCardLifecycle: (principal, cardRef, transition, input, requestId) => issuerCardLifecycle(tc, principal, cardRef, transition, input, requestId),
    registerCard: (principal, request, requestId) => registerCard(tc, principal, request, requestId),
    updateCard: (principal, cardRef, encryptedCard, requestId) => updateCard(tc, principal, cardRef, encryptedCard, requestId),
    renewExpiringTokens: (options) => renewExpiringTokens(tc, options),
    jobs: {
      handlers: {
        [RENEWAL_TASK]: async () => {
          const renewed = await renewExpiringTokens(tc);
          if (renewed > 0) tc.logger.info({ component: 'tokens', renewed }, 'token expiries renewed');
        },
      },
      crontab: [RENEWAL_CRONTAB],
    },
  };
}

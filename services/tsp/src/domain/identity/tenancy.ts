import { AccessError, ValidationError } from '../../errors';
import type { Principal } from '../principal';
import type { IdentityRegistry } from './registry';

/**
 * Tenancy guards (DESIGN §5: enforced in the domain, not only by route). Scopes say what kind
 * of operation a client may call; these say on WHICH objects. Each refusal has its own code:
 * - `forbidden`: the caller's role never acts on tokens this way;
 * - `cross_tenant_access`: the object belongs to another requestor or issuer;
 * - `domain_merchant_not_allowed`: the merchant is outside the token's domain or the caller's merchants.
 *
 * @example
 * ```ts
 * const token = await tokensRepository.get(tx, tokenRef);
 * assertRequestorOwnsToken(principal, token); // before revealing or changing anything
 * ```
 */
export interface TenantToken {
  /** The token requestor the token belongs to. */
  readonly trid: string;
  /** The issuer of the card behind the token. */
  readonly issuerId: string;
  /** The token domain's merchants, when the domain is restricted to some (e.g. card-on-file). */
  readonly merchantIds?: readonly string[] | null;
}

/** A token requestor acts only on its own tokens (same TRID). */
export function assertRequestorOwnsToken(principal: Principal, token: TenantToken): void {
  if (principal.role !== 'wallet' && principal.role !== 'cof_merchant') {
    throw new AccessError('forbidden', 'Only token requestors act on tokens through this operation.');
  }
  if (!principal.trid || principal.trid !== token.trid) {
    throw new AccessError('cross_tenant_access', 'The token belongs to another token requestor.');
  }
}

/** An issuer acts only on tokens of its own cards (tokens it issued). */
export function assertIssuerOwnsToken(principal: Principal, token: TenantToken): void {
  if (principal.role !== 'issuer') throw new AccessError('forbidden', 'Only issuers act on tokens through this operation.');
  if (!principal.issuerId || principal.issuerId !== token.issuerId) {
    throw new AccessError('cross_tenant_access', 'The token belongs to a card of another issuer.');
  }
}

/**
 * An issuer may only put in the vault (or push) cards of its own card BIN ranges.
 * @throws ValidationError `card_bin_unknown` when no issuer owns the BIN; AccessError
 * `cross_tenant_access` when another issuer does.
 */
export function assertIssuerOwnsPan(principal: Principal, pan: string, registry: IdentityRegistry): void {
  if (principal.role !== 'issuer') throw new AccessError('forbidden', 'Only issuers register cards.');
  const owner = registry.findIssuerForPan(pan);
  if (!owner) throw new ValidationError('card_bin_unknown', "No issuer's card BIN range contains this card number.");
  if (owner.issuerId !== principal.issuerId) {
    throw new AccessError('cross_tenant_access', "The card number is in another issuer's BIN range.");
  }
}

/**
 * An acquirer detokenizes only for a merchant it serves (its registered `merchantIds`) and,
 * when the token's domain names merchants, only for one of them (EMVCo token domain
 * restriction controls).
 */
export function assertAcquirerInDomain(principal: Principal, token: TenantToken, merchantId: string): void {
  if (principal.role !== 'acquirer') throw new AccessError('forbidden', 'Only acquirers detokenize.');
  if (!principal.merchantIds?.includes(merchantId)) {
    throw new AccessError('domain_merchant_not_allowed', 'The caller is not registered for this merchant.');
  }
  if (token.merchantIds && token.merchantIds.length > 0 && !token.merchantIds.includes(merchantId)) {
    throw new AccessError('domain_merchant_not_allowed', "The merchant is outside the token's domain.");
  }
}

/**
 * The filter a token list must apply for this caller: a requestor sees its TRID's tokens, an
 * issuer its own issuer's. Use it in every list query so no list can cross tenants.
 */
export function tokenTenantFilter(principal: Principal): { trid: string } | { issuerId: string } {
  if ((principal.role === 'wallet' || principal.role === 'cof_merchant') && principal.trid) return { trid: principal.trid };
  if (principal.role === 'issuer' && principal.issuerId) return { issuerId: principal.issuerId };
  throw new AccessError('forbidden', 'This caller has no tokens to list.');
}

/** The card an issuer sent is another issuer's (the vault's `CardOfAnotherIssuerError`, as the API answers it). */
export function crossTenantCardError(): AccessError {
  return new AccessError('cross_tenant_access', 'This card belongs to another issuer.');
}

import type { ClientRole, Scope } from '../principal';

/**
 * The scopes each role gets (openapi/tsp.yaml `ClientRole`). One table: the token endpoint
 * grants from it, and the authorization matrix test is generated from it and the contract.
 */
export const ROLE_SCOPES: Readonly<Record<ClientRole, readonly Scope[]>> = Object.freeze({
  issuer: ['push:create', 'issuer:tokens', 'issuer:cards'],
  wallet: ['tokens:provision', 'tokens:read', 'tokens:manage', 'tokens:cryptogram'],
  cof_merchant: ['tokens:provision', 'tokens:read', 'tokens:manage', 'tokens:cryptogram'],
  acquirer: ['detokenize'],
  admin: ['admin'],
});

export const ALL_SCOPES: readonly Scope[] = [...new Set(Object.values(ROLE_SCOPES).flat())];

export function isScope(value: string): value is Scope {
  return (ALL_SCOPES as readonly string[]).includes(value);
}

/** Roles that are token requestors (get a TRID). */
export function isRequestorRole(role: ClientRole): role is 'wallet' | 'cof_merchant' {
  return role === 'wallet' || role === 'cof_merchant';
}

import type { components } from '@opentsp/api-types';
import type { OAuthScope } from '@opentsp/api-types/contract-tables';

export type ClientRole = components['schemas']['ClientRole'];

/** OAuth2 scopes of the API, generated from `components.securitySchemes.oauth2` in the contract. */
export type Scope = OAuthScope;

/**
 * Who is calling, as proven by the access token. Every domain operation receives one and
 * enforces tenancy with it (DESIGN §5): a token requestor sees only its tokens (`trid`), an
 * issuer only tokens of its BIN ranges (`issuerId`), an acquirer only within a token's domain
 * (`merchantIds`).
 */
export interface Principal {
  readonly clientId: string;
  readonly role: ClientRole;
  readonly scopes: readonly Scope[];
  /** Token requestors (wallet, cof_merchant). */
  readonly trid?: string;
  /** Issuers. */
  readonly issuerId?: string;
  /** Acquirers and card-on-file merchants. */
  readonly merchantIds?: readonly string[];
}

/**
 * Turns a bearer access token into a `Principal`, or throws an `AccessError` (401 codes:
 * `token_invalid`, `token_expired`, `client_suspended`). Implemented by the identity area
 * (access-tokens.ts); the HTTP layer's `authenticate` middleware calls it. It must not touch
 * the database on the request path.
 */
export interface Authenticator {
  authenticate(accessToken: string): Principal;
}

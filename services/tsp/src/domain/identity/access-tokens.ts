import { createJwtVerifier, CryptoError, signJwt, type Jwks, type JwtClaims } from '@opentsp/crypto';
import type { TspKeyRing } from '../../vault/tsp-key-ring';
import { AccessError, UnavailableError } from '../../errors';
import type { Authenticator, ClientRole, Principal, Scope } from '../principal';
import type { Client } from './records';
import type { IdentityRegistry } from './registry';

/**
 * Access tokens (RFC 9068 JWT profile): ES256, header `typ: at+jwt` and `kid`, signed by the
 * key ring's current signing key. Claims: `iss` and `aud` (the TSP's public URL), `sub` and
 * `client_id` (the client), `iat`, `exp`, `jti`, `scope` (space-delimited), plus `role` and,
 * by role, `trid` or `issuer_id`.
 *
 * Verification on the request path is synchronous node:crypto work through
 * `createJwtVerifier` (a token seen before costs a map lookup) and in-memory registry
 * checks: no database round trip. Suspension is checked on every call against the registry,
 * so a suspended client's unexpired tokens stop working at once.
 */
export interface AccessTokenOptions {
  keyRing: TspKeyRing;
  /** `iss` and `aud` of access tokens: the TSP's public URL. */
  issuer: string;
  ttlSeconds: number;
  registry: IdentityRegistry;
  /** How often the request path re-reads the key ring's public keys (retired keys stop verifying). */
  keyCheckIntervalMs?: number;
  clockToleranceSeconds?: number;
}

export interface IssuedAccessToken {
  accessToken: string;
  expiresIn: number;
  scope: string;
}

export interface AccessTokens {
  issue(client: Client, scopes: readonly Scope[]): IssuedAccessToken;
  readonly authenticator: Authenticator;
  /** Re-reads the key ring now (call after a rotation or retirement in this process). */
  refreshKeys(): void;
}

const TOKEN_INVALID = 'The access token is not valid; get a new one from /oauth2/token.';

function signingKidsOf(jwks: Jwks): string {
  return jwks.keys
    .filter((k) => k.use === 'sig' || k.alg === 'ES256')
    .map((k) => String(k.kid))
    .sort()
    .join(' ');
}

function headerKid(token: string): string | undefined {
  const dot = token.indexOf('.');
  if (dot <= 0) return undefined;
  try {
    const header = JSON.parse(Buffer.from(token.slice(0, dot), 'base64url').toString('utf8')) as { kid?: unknown };
    return typeof header.kid === 'string' ? header.kid : undefined;
  } catch {
    return undefined;
  }
}

/** Issues and verifies access tokens; see the module comment. */
export function createAccessTokens(options: AccessTokenOptions): AccessTokens {
  const { keyRing, issuer, registry } = options;
  const keyCheckIntervalMs = options.keyCheckIntervalMs ?? 1_000;
  const initialJwks = keyRing.publicJwks();
  let knownKids = signingKidsOf(initialJwks);
  let lastKeyCheck = Date.now();
  const verifier = createJwtVerifier({
    publicJwks: initialJwks,
    issuer,
    audience: issuer,
    typ: 'at+jwt',
    clockToleranceSeconds: options.clockToleranceSeconds ?? 30,
  });
  // One Principal per verified token, rebuilt when the registry changes (merchant ids, etc.).
  const principals = new WeakMap<object, { version: number; principal: Principal }>();

  /** Returns true when the key set changed. */
  const refreshKeys = (): boolean => {
    lastKeyCheck = Date.now();
    const jwks = keyRing.publicJwks();
    const kids = signingKidsOf(jwks);
    if (kids === knownKids) return false;
    verifier.setKeys(jwks);
    knownKids = kids;
    return true;
  };

  const verify = (token: string): Readonly<JwtClaims> => {
    if (Date.now() - lastKeyCheck >= keyCheckIntervalMs) refreshKeys();
    try {
      return verifier.verify(token);
    } catch (err) {
      if (!(err instanceof CryptoError)) throw err;
      if (err.code === 'jwt_expired') throw new AccessError('token_expired', 'The access token has expired; get a new one from /oauth2/token.');
      // An unknown kid may be a key rotated in by another process: re-read the ring once.
      const kid = headerKid(token);
      if (kid && !` ${knownKids} `.includes(` ${kid} `) && refreshKeys()) return verify(token);
      throw new AccessError('token_invalid', TOKEN_INVALID);
    }
  };

  const principalOf = (claims: Readonly<JwtClaims>): Principal => {
    const cached = principals.get(claims);
    if (cached && cached.version === registry.version) return cached.principal;
    const clientId = typeof claims.sub === 'string' ? claims.sub : '';
    const client = registry.getClient(clientId);
    const scopes = typeof claims.scope === 'string' && claims.scope ? (claims.scope.split(' ') as Scope[]) : [];
    const principal: Principal = Object.freeze({
      clientId,
      role: claims.role as ClientRole,
      scopes: Object.freeze(scopes),
      ...(typeof claims.trid === 'string' ? { trid: claims.trid } : {}),
      ...(typeof claims.issuer_id === 'string' ? { issuerId: claims.issuer_id } : {}),
      // Merchant ids can be long lists: they come from the registry (always current), not the token.
      ...(client?.merchantIds ? { merchantIds: Object.freeze([...client.merchantIds]) } : {}),
    });
    principals.set(claims, { version: registry.version, principal });
    return principal;
  };

  return {
    issue(client, scopes) {
      const scope = scopes.join(' ');
      const claims: Record<string, unknown> = { sub: client.clientId, client_id: client.clientId, scope, role: client.role };
      if (client.trid) claims.trid = client.trid;
      if (client.issuerId) claims.issuer_id = client.issuerId;
      const accessToken = signJwt(claims, keyRing.signingKey(), {
        issuer,
        audience: issuer,
        expiresInSeconds: options.ttlSeconds,
        typ: 'at+jwt',
        jti: true,
      });
      return { accessToken, expiresIn: options.ttlSeconds, scope };
    },
    authenticator: {
      authenticate(accessToken) {
        const claims = verify(accessToken);
        if (!registry.loaded) throw new UnavailableError('service_unavailable', 'The client registry is not loaded yet; retry shortly.');
        if (typeof claims.sub !== 'string' || typeof claims.role !== 'string') throw new AccessError('token_invalid', TOKEN_INVALID);
        if (registry.isSuspended(claims.sub)) throw new AccessError('client_suspended', 'The client is suspended.');
        return principalOf(claims);
      },
    },
    refreshKeys: () => void refreshKeys(),
  };
}

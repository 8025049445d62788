import type { paths } from '@opentsp/api-types';
import { SignJWT, importJWK, type JWK } from 'jose';
import { raceAbort, type AccessTokenSource, type HttpClient, type ResponseOf } from './client';
import { base64Utf8, randomUuid, seconds } from './platform';
import type { Scope } from './types';

type TokenRequest = paths['/oauth2/token']['post']['requestBody']['content']['application/x-www-form-urlencoded'];
type TokenResponse = ResponseOf<'post', '/oauth2/token'>;

/** `client_secret_basic` (RFC 6749 §2.3.1): for back ends that can keep a secret. */
export interface ClientSecretCredentials {
  clientId: string;
  clientSecret: string;
}

/** A P-256 private key as a JWK (what `jose.exportJWK` or `KeySet.toPrivateJson` give). */
export interface EcPrivateJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  d: string;
  kid?: string;
  alg?: 'ES256';
  [member: string]: unknown;
}

/**
 * `private_key_jwt` (RFC 7523 §2.2): the app holds an ES256 key whose public half is in its
 * registered JWKS, and proves itself with a short-lived signed assertion. Preferred for apps:
 * no shared secret to leak, and the key can live in the platform keystore as a non-extractable
 * `CryptoKey`.
 */
export interface PrivateKeyJwtCredentials {
  clientId: string;
  privateKey: EcPrivateJwk | CryptoKey;
  /** `kid` of the registered public key; default `privateKey.kid`. */
  keyId?: string;
}

export type ClientCredentials = ClientSecretCredentials | PrivateKeyJwtCredentials;

export interface AuthOptions {
  /** Scopes to ask for (default: all of the client's). */
  scope?: readonly Scope[];
}

interface CachedToken {
  accessToken: string;
  /** When to fetch a new one: a little before the token expires. */
  refreshAt: number;
}

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Lifetime of a client assertion; the TSP accepts at most 5 minutes (RFC 7523 §3 item 4). */
const ASSERTION_SECONDS = 60;

/**
 * OAuth2 client-credentials (RFC 6749 §4.4) against `POST /oauth2/token`, with a cached access
 * token that is refreshed before it expires and one refresh in flight at a time: ten calls
 * that need a token at once share one token request.
 *
 * @example
 * ```ts
 * const auth = new ClientCredentialsAuth(http, { clientId, clientSecret }, { scope: ['tokens:read'] });
 * const bearer = await auth.token();
 * ```
 */
export class ClientCredentialsAuth implements AccessTokenSource {
  readonly #http: HttpClient;
  readonly #credentials: ClientCredentials;
  readonly #scope: string | undefined;
  #cached: CachedToken | undefined;
  #pending: Promise<CachedToken> | undefined;
  #signingKey: Promise<CryptoKey | Uint8Array> | undefined;

  constructor(http: HttpClient, credentials: ClientCredentials, options: AuthOptions = {}) {
    if (!credentials?.clientId) throw new TypeError('credentials.clientId is required');
    if (!('clientSecret' in credentials) && !('privateKey' in credentials)) {
      throw new TypeError('credentials need clientSecret (client_secret_basic) or privateKey (private_key_jwt)');
    }
    this.#http = http;
    this.#credentials = credentials;
    this.#scope = options.scope?.length ? options.scope.join(' ') : undefined;
  }

  /**
   * A valid access token: the cached one, or a fresh one (shared by every concurrent caller).
   *
   * @example
   * ```ts
   * headers.authorization = `Bearer ${await auth.token(signal)}`;
   * ```
   */
  async token(signal?: AbortSignal): Promise<string> {
    const cached = this.#cached;
    if (cached && this.#http.clock() < cached.refreshAt) return cached.accessToken;
    if (!this.#pending) {
      this.#pending = this.#fetchToken().finally(() => {
        this.#pending = undefined;
      });
    }
    // A caller's abort ends its own wait, not the shared refresh other callers wait for.
    return (await raceAbort(this.#pending, signal)).accessToken;
  }

  /**
   * Forgets `accessToken` if it is still the cached one (the TSP said `token_expired`), so the
   * next call fetches a new token; a token another caller already replaced is left alone.
   *
   * @example
   * ```ts
   * auth.invalidate(rejectedToken);
   * ```
   */
  invalidate(accessToken: string): void {
    if (this.#cached?.accessToken === accessToken) this.#cached = undefined;
  }

  async #fetchToken(): Promise<CachedToken> {
    const startedAt = this.#http.clock();
    const request: TokenRequest = { grant_type: 'client_credentials', scope: this.#scope };
    const headers: Record<string, string> = {};
    const credentials = this.#credentials;
    if ('clientSecret' in credentials) {
      // RFC 6749 §2.3.1: both parts form-urlencoded before Base64 (encodeURIComponent plus
      // the '+' for spaces of application/x-www-form-urlencoded).
      const enc = (s: string): string => encodeURIComponent(s).replace(/%20/g, '+');
      headers.authorization = `Basic ${base64Utf8(`${enc(credentials.clientId)}:${enc(credentials.clientSecret)}`)}`;
    } else {
      request.client_id = credentials.clientId;
      request.client_assertion_type = ASSERTION_TYPE;
      request.client_assertion = await this.#assertion(credentials);
    }
    const form = new URLSearchParams();
    for (const [name, value] of Object.entries(request)) if (value !== undefined) form.set(name, String(value));
    const { data } = await this.#http.send<TokenResponse>({
      method: 'POST',
      path: '/oauth2/token',
      form,
      headers,
      authenticate: false,
    });
    const lifetime = data.expires_in;
    // Refresh a little early (10 % of the lifetime, at most 30 s) so a token never expires
    // between the check here and the TSP's check; clock skew is covered by the 401 retry.
    const margin = Math.min(30, lifetime / 10);
    this.#cached = { accessToken: data.access_token, refreshAt: startedAt + (lifetime - margin) * 1000 };
    return this.#cached;
  }

  async #assertion(credentials: PrivateKeyJwtCredentials): Promise<string> {
    const { privateKey } = credentials;
    const kid = credentials.keyId ?? (isJwk(privateKey) ? privateKey.kid : undefined);
    if (!kid) throw new TypeError('private_key_jwt needs keyId (or a kid on the private JWK)');
    this.#signingKey ??= isJwk(privateKey) ? importJWK(privateKey as JWK, 'ES256') : Promise.resolve(privateKey);
    const now = seconds(this.#http.clock());
    // RFC 7523 §3: iss = sub = client id, aud = the token endpoint URL, unique jti, short exp.
    return new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
      .setIssuer(credentials.clientId)
      .setSubject(credentials.clientId)
      .setAudience(`${this.#http.baseUrl}/oauth2/token`)
      .setJti(randomUuid())
      .setIssuedAt(now)
      .setExpirationTime(now + ASSERTION_SECONDS)
      .sign(await this.#signingKey);
  }
}

function isJwk(key: EcPrivateJwk | CryptoKey): key is EcPrivateJwk {
  return typeof (key as EcPrivateJwk).kty === 'string';
}

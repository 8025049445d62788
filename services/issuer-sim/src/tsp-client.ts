import type { components } from '@opentsp/api-types';
import { encryptCompact, type Jwk } from '@opentsp/crypto';
import type { JwksSource } from './tsp-jwks';
import { httpJwksSource } from './tsp-jwks';

type Card = components['schemas']['Card'];
type CardTokensResult = components['schemas']['CardTokensResult'];
type CardUpdateResult = components['schemas']['CardUpdateResult'];
type CardLifecycleRequest = components['schemas']['CardLifecycleRequest'];
type CreateCardRequest = components['schemas']['CreateCardRequest'];
type TokenList = components['schemas']['TokenList'];
type CardPlaintext = components['schemas']['CardPlaintext'];

/** A TSP answer that was not 2xx: the RFC 9457 problem's `code` and status. */
export class TspApiError extends Error {
  override readonly name = 'TspApiError';
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    readonly problem: unknown,
  ) {
    super(`TSP answered ${status}${code ? ` ${code}` : ''}`);
  }
}

export interface IssuerTspClientOptions {
  tspUrl: string;
  clientId: string;
  clientSecret: string;
  jwks?: JwksSource;
}

/**
 * The bank's back end calling the TSP's issuer API with its own OAuth2 client credentials
 * (`client_secret_basic`, RFC 6749 §4.4): card registration, reissue, card-level lifecycle
 * and the token list. Card data is encrypted to the TSP's published `enc` key as a JWE.
 *
 * @example
 * ```ts
 * const bank = new IssuerTspClient({ tspUrl, clientId, clientSecret });
 * const card = await bank.registerCard({ pan: '6213000000001232', expMonth: 12, expYear: 2030 });
 * await bank.cardLifecycle(card.cardRef, 'suspend', { reason: 'lost' });
 * ```
 */
export class IssuerTspClient {
  readonly #options: IssuerTspClientOptions;
  readonly #jwks: JwksSource;
  #token: { value: string; expiresAt: number } | undefined;

  constructor(options: IssuerTspClientOptions) {
    this.#options = options;
    this.#jwks = options.jwks ?? httpJwksSource(options.tspUrl);
  }

  /** An access token from `POST /oauth2/token`, reused until a minute before it expires. */
  async accessToken(): Promise<string> {
    if (this.#token && this.#token.expiresAt - 60_000 > Date.now()) return this.#token.value;
    const basic = Buffer.from(`${encodeURIComponent(this.#options.clientId)}:${encodeURIComponent(this.#options.clientSecret)}`).toString('base64');
    const res = await fetch(`${this.#options.tspUrl}/oauth2/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    const body = (await res.json()) as { access_token?: string; expires_in?: number; code?: string };
    if (!res.ok || !body.access_token) throw new TspApiError(res.status, body.code, body);
    this.#token = { value: body.access_token, expiresAt: Date.now() + (body.expires_in ?? 300) * 1000 };
    return body.access_token;
  }

  /** Card data as a compact JWE to the TSP's first `enc` key of the wanted algorithm. */
  async encryptCard(card: CardPlaintext, alg: 'RSA-OAEP-256' | 'ECDH-ES+A256KW' = 'ECDH-ES+A256KW'): Promise<string> {
    const jwks = await this.#jwks.get();
    const key = jwks.keys.find((k) => k.use === 'enc' && k.alg === alg) as Jwk | undefined;
    if (!key) throw new Error(`the TSP publishes no ${alg} encryption key`);
    return encryptCompact(card, key, { alg });
  }

  /** `POST /v1/issuer/cards`: the card (201 new, 200 already in the vault). */
  async registerCard(card: CardPlaintext, extra: Omit<CreateCardRequest, 'encryptedCard'> = {}): Promise<Card> {
    return this.#call<Card>('POST', '/v1/issuer/cards', { encryptedCard: await this.encryptCard(card), ...extra });
  }

  /** `POST /v1/issuer/cards/{cardRef}/update` (reissue: new PAN and/or expiry). */
  async updateCard(cardRef: string, card: CardPlaintext): Promise<CardUpdateResult> {
    return this.#call<CardUpdateResult>('POST', `/v1/issuer/cards/${cardRef}/update`, { encryptedCard: await this.encryptCard(card) });
  }

  /** `POST /v1/issuer/cards/{cardRef}/suspend|resume|delete`. */
  async cardLifecycle(cardRef: string, action: 'suspend' | 'resume' | 'delete', request: CardLifecycleRequest): Promise<CardTokensResult> {
    return this.#call<CardTokensResult>('POST', `/v1/issuer/cards/${cardRef}/${action}`, request);
  }

  /** `GET /v1/issuer/tokens?cardRef=`. */
  async listTokens(query: { cardRef?: string; trid?: string; limit?: number; cursor?: string } = {}): Promise<TokenList> {
    const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));
    return this.#call<TokenList>('GET', `/v1/issuer/tokens${params.size ? `?${params}` : ''}`);
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.#options.tspUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${await this.accessToken()}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const json = (await res.json().catch(() => undefined)) as (T & { code?: string }) | undefined;
    if (!res.ok) throw new TspApiError(res.status, json?.code, json);
    return json as T;
  }
}

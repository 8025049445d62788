import { ClientCredentialsAuth, type ClientCredentials } from './auth';
import { HttpClient, type TransportOptions } from './client';
import { JwksCache, type JwksCacheOptions } from './jwks';
import type { Scope } from './types';

/** Options of every client: where the TSP is, who the caller is, how patient to be. */
export interface ClientOptions extends TransportOptions {
  /** OAuth2 client credentials: `{ clientId, clientSecret }` or `{ clientId, privateKey, keyId }`. */
  credentials: ClientCredentials;
  /** Scopes to ask for (default: all of the client's). */
  scope?: readonly Scope[];
  /** JWKS caching (default: re-fetched after 10 minutes). */
  jwks?: Omit<JwksCacheOptions, 'clock'>;
}

/** What `WalletClient`, `IssuerClient` and `AcquirerClient` share: transport, auth, TSP keys. */
export abstract class BaseClient {
  /** The typed HTTP layer, for operations the high-level methods do not wrap. */
  readonly http: HttpClient;
  /** The TSP's public keys (`GET /.well-known/jwks.json`), cached. */
  readonly jwks: JwksCache;
  protected readonly auth: ClientCredentialsAuth;

  protected constructor(options: ClientOptions) {
    this.http = new HttpClient(options);
    this.auth = new ClientCredentialsAuth(this.http, options.credentials, { scope: options.scope });
    this.http.useAuth(this.auth);
    this.jwks = new JwksCache(
      async (signal) => (await this.http.call('get', '/.well-known/jwks.json', {}, { signal })).data,
      { ...options.jwks, clock: this.http.clock },
    );
  }
}

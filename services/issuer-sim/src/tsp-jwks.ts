import type { Jwks } from '@opentsp/crypto';

/** Where the bank gets the TSP's public keys: `GET <tspUrl>/.well-known/jwks.json`, cached. */
export interface JwksSource {
  /** The cached JWKS (fetched on first use). */
  get(): Promise<Jwks>;
  /** Fetches again (after an unknown `kid`: the TSP may have rotated its keys). */
  refresh(): Promise<Jwks>;
}

/**
 * A JWKS source over HTTP with a small cache (the TSP answers `Cache-Control: max-age=300`).
 *
 * @example
 * ```ts
 * const jwks = httpJwksSource('http://127.0.0.1:8080');
 * await verifyCompact(signature, await jwks.get(), { detachedPayload: rawBody, maxAgeSeconds: 300 });
 * ```
 */
export function httpJwksSource(tspUrl: string, maxAgeMs = 300_000): JwksSource {
  let cached: { jwks: Jwks; at: number } | undefined;
  let inflight: Promise<Jwks> | undefined;
  const refresh = (): Promise<Jwks> => {
    inflight ??= (async () => {
      try {
        const res = await fetch(`${tspUrl.replace(/\/$/, '')}/.well-known/jwks.json`);
        if (!res.ok) throw new Error(`JWKS fetch failed: ${res.status}`);
        const jwks = (await res.json()) as Jwks;
        cached = { jwks, at: Date.now() };
        return jwks;
      } finally {
        inflight = undefined;
      }
    })();
    return inflight;
  };
  return {
    get: async () => (cached && Date.now() - cached.at < maxAgeMs ? cached.jwks : refresh()),
    refresh,
  };
}

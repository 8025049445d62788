import type { Client, Issuer, OwnedCardBinRange, TokenBinRange } from './records';

/**
 * The client and issuer registry as every TSP process holds it in memory, for the hot path
 * (authentication, BIN lookup, requestor lookup) without a database round trip. Kept current
 * by `registry-sync.ts` (in-process changes, Postgres NOTIFY from other processes, periodic
 * full refresh). Records are frozen API shapes (openapi/tsp.yaml `Client`, `Issuer`).
 *
 * @example
 * ```ts
 * const issuer = services.identity.registry.findIssuerForPan(pan); // undefined → card_bin_unknown
 * const requestor = services.identity.registry.getRequestorByTrid(trid); // undefined → requestor_not_found
 * ```
 */
export interface IdentityRegistry {
  /** The issuer whose card BIN range (of the PAN's length) has the longest prefix of `pan`. */
  findIssuerForPan(pan: string): Issuer | undefined;
  getIssuer(issuerId: string): Issuer | undefined;
  getClient(clientId: string): Client | undefined;
  /** The token requestor (wallet or cof_merchant client) with this TRID, whatever its status. */
  getRequestorByTrid(trid: string): Client | undefined;
  allCardBinRanges(): readonly OwnedCardBinRange[];
  /** The token BIN ranges of an issuer (empty for an unknown issuer). */
  tokenBinRangesOf(issuerId: string): readonly TokenBinRange[];
  /** True when the client is known and suspended. */
  isSuspended(clientId: string): boolean;
  /** Increases on every change; lets callers cache values derived from records. */
  readonly version: number;
  /** False until the first full load succeeded. */
  readonly loaded: boolean;
}

const MIN_PREFIX = 6;
const MAX_PREFIX = 11;

/** The in-memory registry; only `registry-sync.ts` and the admin services write to it. */
export class RegistryCache implements IdentityRegistry {
  #clients = new Map<string, Client>();
  #byTrid = new Map<string, Client>();
  #issuers = new Map<string, Issuer>();
  /** panLength → prefix → issuer id. */
  #cardPrefixes = new Map<number, Map<string, string>>();
  #cardRanges: OwnedCardBinRange[] = [];
  #version = 0;
  #loaded = false;

  get version(): number {
    return this.#version;
  }

  get loaded(): boolean {
    return this.#loaded;
  }

  /** Replaces everything (initial load, periodic refresh, after a listener reconnect). */
  replaceAll(clients: readonly Client[], issuers: readonly Issuer[]): void {
    this.#clients = new Map(clients.map((c) => [c.clientId, Object.freeze(c)]));
    this.#byTrid = new Map();
    for (const client of this.#clients.values()) if (client.trid) this.#byTrid.set(client.trid, client);
    this.#issuers = new Map(issuers.map((i) => [i.issuerId, Object.freeze(i)]));
    this.#reindexCardRanges();
    this.#loaded = true;
    this.#version += 1;
  }

  /** Puts (or, with `undefined`, removes) one client. */
  putClient(clientId: string, client: Client | undefined): void {
    const previous = this.#clients.get(clientId);
    if (previous?.trid) this.#byTrid.delete(previous.trid);
    if (client) {
      const frozen = Object.freeze(client);
      this.#clients.set(clientId, frozen);
      if (frozen.trid) this.#byTrid.set(frozen.trid, frozen);
    } else {
      this.#clients.delete(clientId);
    }
    this.#version += 1;
  }

  /** Puts (or, with `undefined`, removes) one issuer. */
  putIssuer(issuerId: string, issuer: Issuer | undefined): void {
    if (issuer) this.#issuers.set(issuerId, Object.freeze(issuer));
    else this.#issuers.delete(issuerId);
    this.#reindexCardRanges();
    this.#version += 1;
  }

  findIssuerForPan(pan: string): Issuer | undefined {
    const prefixes = this.#cardPrefixes.get(pan.length);
    if (!prefixes) return undefined;
    for (let length = Math.min(MAX_PREFIX, pan.length - 1); length >= MIN_PREFIX; length--) {
      const issuerId = prefixes.get(pan.slice(0, length));
      if (issuerId) return this.#issuers.get(issuerId);
    }
    return undefined;
  }

  getIssuer(issuerId: string): Issuer | undefined {
    return this.#issuers.get(issuerId);
  }

  getClient(clientId: string): Client | undefined {
    return this.#clients.get(clientId);
  }

  getRequestorByTrid(trid: string): Client | undefined {
    return this.#byTrid.get(trid);
  }

  allCardBinRanges(): readonly OwnedCardBinRange[] {
    return this.#cardRanges;
  }

  tokenBinRangesOf(issuerId: string): readonly TokenBinRange[] {
    return this.#issuers.get(issuerId)?.tokenBinRanges ?? [];
  }

  isSuspended(clientId: string): boolean {
    return this.#clients.get(clientId)?.status === 'suspended';
  }

  #reindexCardRanges(): void {
    const index = new Map<number, Map<string, string>>();
    const ranges: OwnedCardBinRange[] = [];
    for (const issuer of this.#issuers.values()) {
      for (const range of issuer.cardBinRanges) {
        let byPrefix = index.get(range.panLength);
        if (!byPrefix) index.set(range.panLength, (byPrefix = new Map()));
        byPrefix.set(range.prefix, issuer.issuerId);
        ranges.push(Object.freeze({ ...range, issuerId: issuer.issuerId }));
      }
    }
    this.#cardPrefixes = index;
    this.#cardRanges = Object.freeze(ranges) as OwnedCardBinRange[];
  }
}

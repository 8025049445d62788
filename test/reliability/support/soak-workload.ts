import { testPan } from '@opentsp/card';
import { encryptCompact, type Jwk } from '@opentsp/crypto';
import { registerTestPans } from '../../support/leak-scan';

/**
 * The soak's mixed workload (issue #11): payments (a cryptogram, then its detokenization),
 * provisioning, token push (receipt, then redemption) and lifecycle (suspend, then resume), as
 * real clients make them over HTTP on 127.0.0.1. Every request has one expected status;
 * anything else, or a failed connection, is an error (status and problem `code` kept, never a
 * body: bodies may hold card data in encrypted form and are not needed to diagnose).
 */
export const KINDS = ['cryptogram', 'detokenize', 'provision', 'pushReceipt', 'pushRedeem', 'suspend', 'resume'] as const;
export type Kind = (typeof KINDS)[number];
export type Operation = 'payment' | 'provision' | 'push' | 'lifecycle';

/** One slot pattern of 20 operations: half payments, the rest provisioning, push and lifecycle. */
export const MIX: readonly Operation[] = [
  ...Array<Operation>(10).fill('payment'),
  ...Array<Operation>(3).fill('provision'),
  ...Array<Operation>(3).fill('push'),
  ...Array<Operation>(4).fill('lifecycle'),
];

export interface SoakTargets {
  baseUrl: string;
  walletToken: string;
  walletTrid: string;
  issuerToken: string;
  acquirerToken: string;
  cardBin: string;
  merchantId: string;
  /** ACTIVE tokens used for payments, round robin (spreads the per-token velocity rules). */
  payTokens: string[];
  /** ACTIVE tokens suspended and resumed, one operation at a time each. */
  lifecycleTokens: string[];
}

export class SoakStats {
  readonly requests = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>;
  readonly errors = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>;
  readonly errorSamples: string[] = [];
  readonly latencies = Object.fromEntries(KINDS.map((k) => [k, [] as number[]])) as Record<Kind, number[]>;
  operations = 0;

  totalRequests(): number {
    return KINDS.reduce((n, k) => n + this.requests[k], 0);
  }
  totalErrors(): number {
    return KINDS.reduce((n, k) => n + this.errors[k], 0);
  }
  latencySummary(): Record<Kind, { p50: number; p99: number; max: number }> {
    const pick = (sorted: number[], q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : 0);
    return Object.fromEntries(
      KINDS.map((k) => {
        const sorted = [...this.latencies[k]].sort((a, b) => a - b);
        return [k, { p50: Math.round(pick(sorted, 0.5)), p99: Math.round(pick(sorted, 0.99)), max: Math.round(sorted.at(-1) ?? 0) }];
      }),
    ) as Record<Kind, { p50: number; p99: number; max: number }>;
  }
}

/**
 * A Luhn-valid 16-digit PAN, unique per `serial` (0–999,999): BIN, serial, then `234` as
 * digits 13–15 — issuer-sim approves those (it declines `000…` and steps up `111…` last fours).
 */
export function soakPan(cardBin: string, serial: number): string {
  return testPan({ prefix: cardBin, serial, suffix: '234' });
}

const DEVICE = { type: 'phone', os: 'android', osVersion: '15', model: 'Pixel 9', score: 90 };

/** Runs operations against the targets and records every request in `stats`. */
export class SoakWorkload {
  #serial: number;
  #payNext = 0;
  readonly #idleLifecycle: string[];
  #encKey: Jwk | undefined;

  constructor(
    private readonly targets: SoakTargets,
    private readonly stats: SoakStats,
    firstSerial: number,
  ) {
    this.#serial = firstSerial;
    this.#idleLifecycle = [...targets.lifecycleTokens];
  }

  /** Detokenizations per payment token so far (the default rules decline above 60 per hour). */
  paymentsPerToken(): number {
    return Math.ceil(this.#payNext / Math.max(1, this.targets.payTokens.length));
  }

  async run(operation: Operation): Promise<void> {
    this.stats.operations++;
    if (operation === 'payment') return this.#payment();
    if (operation === 'provision') return this.#provision();
    if (operation === 'push') return this.#push();
    return this.#lifecycle();
  }

  async #payment(): Promise<void> {
    const tokenRef = this.targets.payTokens[this.#payNext++ % this.targets.payTokens.length]!;
    const transaction = { amount: 1_000 + (this.#payNext % 5_000), currency: 'CNY', merchantId: this.targets.merchantId, channel: 'in_app' };
    const credentials = await this.#send('cryptogram', 'POST', `/v1/tokens/${tokenRef}/cryptograms`, this.targets.walletToken, transaction, 201);
    if (!credentials) return;
    const { tokenPan, tokenExpiry, cryptogram, atc } = credentials;
    await this.#send('detokenize', 'POST', '/v1/detokenize', this.targets.acquirerToken, { tokenPan, tokenExpiry, cryptogram, atc, transaction: credentials.transaction }, 200);
  }

  async #provision(): Promise<void> {
    const n = this.#serial++;
    // Fresh card, device and wallet account per attempt: the velocity rules count those, and a
    // soak must not trip them (no device IP either: the per-IP counters would fill up).
    const encryptedCard = await this.#encrypt(this.#pan(n));
    await this.#send('provision', 'POST', '/v1/tokens', this.targets.walletToken, { encryptedCard, walletAccountId: `wa_soak_p${n}`, device: { id: `dev_soak_p${n}`, ...DEVICE }, tokenLocation: '02', channel: 'nfc' }, 201);
  }

  async #push(): Promise<void> {
    const n = this.#serial++;
    const walletAccountId = `wa_soak_r${n}`;
    const encryptedCard = await this.#encrypt(this.#pan(n));
    const receipt = await this.#send('pushReceipt', 'POST', '/v1/push-receipts', this.targets.issuerToken, { encryptedCard, trid: this.targets.walletTrid, walletAccountId }, 201);
    if (!receipt) return;
    await this.#send('pushRedeem', 'POST', '/v1/tokens', this.targets.walletToken, { pushReceipt: receipt.pushReceipt, walletAccountId, device: { id: `dev_soak_r${n}`, ...DEVICE } }, 201);
  }

  async #lifecycle(): Promise<void> {
    const tokenRef = this.#idleLifecycle.shift();
    if (!tokenRef) return this.#payment(); // every lifecycle token busy: keep the load, pay instead
    try {
      const suspended = await this.#send('suspend', 'POST', `/v1/tokens/${tokenRef}/suspend`, this.targets.walletToken, { reason: 'cardholder_request' }, 200);
      if (suspended) await this.#send('resume', 'POST', `/v1/tokens/${tokenRef}/resume`, this.targets.walletToken, { reason: 'cardholder_request' }, 200);
    } finally {
      this.#idleLifecycle.push(tokenRef);
    }
  }

  #pan(n: number): string {
    const pan = soakPan(this.targets.cardBin, n);
    registerTestPans(pan);
    return pan;
  }

  // The card data JWE as a wallet SDK or a bank makes it: ECDH-ES+A256KW to the TSP's key.
  async #encrypt(pan: string): Promise<string> {
    if (!this.#encKey) {
      const jwks = (await (await fetch(`${this.targets.baseUrl}/.well-known/jwks.json`)).json()) as { keys: Jwk[] };
      this.#encKey = jwks.keys.find((k) => k.use === 'enc' && k.alg === 'ECDH-ES+A256KW');
      if (!this.#encKey) throw new Error('the TSP publishes no ECDH-ES+A256KW key');
    }
    return encryptCompact({ pan, expMonth: 12, expYear: new Date().getUTCFullYear() + 3, cvv2: '123' }, this.#encKey, { alg: 'ECDH-ES+A256KW' });
  }

  async #send(kind: Kind, method: string, path: string, bearer: string, body: unknown, expected: number): Promise<Record<string, unknown> | undefined> {
    this.stats.requests[kind]++;
    const started = performance.now();
    try {
      const res = await fetch(`${this.targets.baseUrl}${path}`, {
        method,
        headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
      this.stats.latencies[kind].push(performance.now() - started);
      if (res.status === expected) return json;
      this.#error(kind, `${kind}: ${res.status} ${typeof json.code === 'string' ? json.code : ''}`);
    } catch (err) {
      this.#error(kind, `${kind}: ${(err as Error).name} ${(err as Error).message}`.slice(0, 200));
    }
    return undefined;
  }

  #error(kind: Kind, sample: string): void {
    this.stats.errors[kind]++;
    if (this.stats.errorSamples.length < 20) this.stats.errorSamples.push(sample);
  }
}

/** Closed loop: `concurrency` callers, each starting the next operation when one ends. Returns operations per second. */
export async function closedLoop(workload: SoakWorkload, concurrency: number, seconds: number, offset = 0): Promise<number> {
  const end = Date.now() + seconds * 1000;
  let slot = offset;
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        await workload.run(MIX[slot++ % MIX.length]!);
        done++;
      }
    }),
  );
  return done / seconds;
}

/**
 * Open loop at a fixed rate of operations (a soak models arriving clients, not a benchmark's
 * back-to-back callers); at most `maxInFlight` at once — a slot that finds them all busy is
 * counted as `missed` (the TSP fell behind), not sent later.
 */
export async function openLoop(workload: SoakWorkload, opsPerSecond: number, seconds: number, maxInFlight: number, onTick?: () => void): Promise<{ started: number; missed: number }> {
  const interval = 1000 / opsPerSecond;
  const begin = performance.now();
  const end = begin + seconds * 1000;
  const inFlight = new Set<Promise<void>>();
  let slot = 0;
  let started = 0;
  let missed = 0;
  for (let due = begin; due < end; due += interval) {
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    onTick?.();
    const operation = MIX[slot++ % MIX.length]!;
    if (inFlight.size >= maxInFlight) {
      missed++;
      continue;
    }
    started++;
    const p: Promise<void> = workload.run(operation).finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  return { started, missed };
}

import { randomUUID } from 'node:crypto';
import { encryptCompact, type Jwk } from '@opentsp/crypto';
import { registerTestPans } from '../../support/leak-scan';
import { soakPan } from './soak-workload';

/**
 * The failover test's clients: a mixed workload (payments with detokenize, provisioning, push +
 * one-tap redemption, suspend / resume) against several TSP base URLs, where every call is
 * retried with its SAME Idempotency-Key until it gets a final answer — what a wallet, a bank or
 * an acquirer does when the TSP answers 503 during a database failover. Every final 2xx is an
 * acknowledged operation, kept in `acknowledged` to be checked against the database afterwards.
 */
export interface FailoverTargets {
  baseUrls: readonly string[];
  walletToken: string;
  walletTrid: string;
  issuerToken: string;
  acquirerToken: string;
  cardBin: string;
  merchantId: string;
  payTokens: readonly string[];
  lifecycleTokens: readonly string[];
}

export type Acknowledged =
  | { kind: 'provision' | 'redeem'; tokenRef: string; walletAccountId: string; at: number; sentAt: number }
  | { kind: 'detokenize'; tokenRef: string; atc: number; at: number; sentAt: number }
  | { kind: 'suspend' | 'resume'; tokenRef: string; status: string; at: number; sentAt: number };

/** A request attempt's outcome, for the recovery time (first successful write after a kill). */
export interface Attempt {
  sentAt: number;
  at: number;
  status: number | 'network';
  write: boolean;
}

const DEVICE = { type: 'phone', os: 'android', osVersion: '15', model: 'Pixel 9', score: 90 };
const RETRYABLE = new Set([502, 503, 504]);
/** How long one operation keeps retrying before it is reported as failed. */
const OPERATION_DEADLINE_MS = 120_000;

export class FailoverWorkload {
  readonly acknowledged: Acknowledged[] = [];
  readonly attempts: Attempt[] = [];
  /** Final answers that were neither 2xx nor an expected refusal: each one is a test failure. */
  readonly failures: string[] = [];
  #serial: number;
  #payNext = 0;
  #encKey: Jwk | undefined;
  readonly #idleLifecycle: string[];

  constructor(
    private readonly targets: FailoverTargets,
    firstSerial: number,
  ) {
    this.#serial = firstSerial;
    this.#idleLifecycle = [...targets.lifecycleTokens];
  }

  async run(slot: number): Promise<void> {
    const operation = (['payment', 'payment', 'provision', 'push', 'lifecycle'] as const)[slot % 5];
    if (operation === 'payment') return this.#payment();
    if (operation === 'provision') return this.#provision();
    if (operation === 'push') return this.#push();
    return this.#lifecycle();
  }

  async #payment(): Promise<void> {
    const tokenRef = this.targets.payTokens[this.#payNext++ % this.targets.payTokens.length] as string;
    const transaction = { amount: 1_000 + (this.#payNext % 5_000), currency: 'CNY', merchantId: this.targets.merchantId, channel: 'in_app' };
    const credentials = await this.#send('POST', `/v1/tokens/${tokenRef}/cryptograms`, this.targets.walletToken, transaction, true);
    if (!credentials) return;
    const { tokenPan, tokenExpiry, cryptogram, atc } = credentials.body;
    const sentAt = Date.now();
    const granted = await this.#send('POST', '/v1/detokenize', this.targets.acquirerToken, { tokenPan, tokenExpiry, cryptogram, atc, transaction: credentials.body.transaction }, true);
    if (granted) this.acknowledged.push({ kind: 'detokenize', tokenRef, atc: atc as number, at: granted.at, sentAt });
  }

  async #provision(): Promise<void> {
    const n = this.#serial++;
    const walletAccountId = `wa_failover_p${n}`;
    const encryptedCard = await this.#encrypt(this.#pan(n));
    const sentAt = Date.now();
    const made = await this.#send('POST', '/v1/tokens', this.targets.walletToken, { encryptedCard, walletAccountId, device: { id: `dev_failover_p${n}`, ...DEVICE }, tokenLocation: '02', channel: 'nfc' }, true);
    if (made) this.acknowledged.push({ kind: 'provision', tokenRef: made.body.tokenRef as string, walletAccountId, at: made.at, sentAt });
  }

  async #push(): Promise<void> {
    const n = this.#serial++;
    const walletAccountId = `wa_failover_r${n}`;
    const encryptedCard = await this.#encrypt(this.#pan(n));
    const receipt = await this.#send('POST', '/v1/push-receipts', this.targets.issuerToken, { encryptedCard, trid: this.targets.walletTrid, walletAccountId }, true);
    if (!receipt) return;
    const sentAt = Date.now();
    const token = await this.#send('POST', '/v1/tokens', this.targets.walletToken, { pushReceipt: receipt.body.pushReceipt, walletAccountId, device: { id: `dev_failover_r${n}`, ...DEVICE } }, true);
    if (token) this.acknowledged.push({ kind: 'redeem', tokenRef: token.body.tokenRef as string, walletAccountId, at: token.at, sentAt });
  }

  async #lifecycle(): Promise<void> {
    const tokenRef = this.#idleLifecycle.shift();
    if (!tokenRef) return this.#payment();
    try {
      for (const kind of ['suspend', 'resume'] as const) {
        const sentAt = Date.now();
        const answer = await this.#send('POST', `/v1/tokens/${tokenRef}/${kind}`, this.targets.walletToken, { reason: 'cardholder_request' }, true);
        if (!answer) return;
        this.acknowledged.push({ kind, tokenRef, status: answer.body.status as string, at: answer.at, sentAt });
      }
    } finally {
      this.#idleLifecycle.push(tokenRef);
    }
  }

  #pan(n: number): string {
    const pan = soakPan(this.targets.cardBin, n);
    registerTestPans(pan);
    return pan;
  }

  async #encrypt(pan: string): Promise<string> {
    // The JWKS is fetched once, retried like any call: the first fetch may land in a switch (503).
    for (let attempt = 0; !this.#encKey; attempt++) {
      const baseUrl = this.targets.baseUrls[attempt % this.targets.baseUrls.length] as string;
      const jwks = (await fetch(`${baseUrl}/.well-known/jwks.json`, { signal: AbortSignal.timeout(10_000) })
        .then((res) => (res.ok ? res.json() : undefined))
        .catch(() => undefined)) as { keys: Jwk[] } | undefined;
      if (jwks) {
        this.#encKey = jwks.keys.find((k) => k.use === 'enc' && k.alg === 'RSA-OAEP-256') ?? jwks.keys.find((k) => k.use === 'enc');
        if (!this.#encKey) throw new Error('the TSP publishes no enc key');
      } else if (attempt > 200) {
        throw new Error('the JWKS did not answer');
      } else {
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    return encryptCompact({ pan, expMonth: 12, expYear: 2031, cvv2: '123' }, this.#encKey, { alg: this.#encKey.alg as 'RSA-OAEP-256' });
  }

  /**
   * One operation: the same Idempotency-Key on every attempt, across every TSP process (a
   * client's retry may land on another host), until a final answer or the deadline.
   */
  async #send(method: string, path: string, bearer: string, body: unknown, write: boolean): Promise<{ body: Record<string, unknown>; at: number } | undefined> {
    const key = randomUUID();
    const deadline = Date.now() + OPERATION_DEADLINE_MS;
    for (let attempt = 0; ; attempt++) {
      const baseUrl = this.targets.baseUrls[(attempt + this.#payNext) % this.targets.baseUrls.length] as string;
      const sentAt = Date.now();
      let status: number | 'network' = 'network';
      let json: Record<string, unknown> = {};
      let retryAfterMs = 250;
      try {
        const res = await fetch(`${baseUrl}${path}`, {
          method,
          headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/json', 'Idempotency-Key': key },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(20_000),
        });
        status = res.status;
        json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
        const retryAfter = Number(res.headers.get('retry-after'));
        if (Number.isFinite(retryAfter) && retryAfter > 0) retryAfterMs = Math.min(retryAfter * 1000, 2_000);
      } catch {
        // network error or timeout: retry with the same key
      }
      this.attempts.push({ sentAt, at: Date.now(), status, write });
      if (typeof status === 'number' && status >= 200 && status < 300) return { body: json, at: Date.now() };
      const inProgress = status === 409 && json.code === 'idempotency_in_progress';
      if (status !== 'network' && !RETRYABLE.has(status) && !inProgress) {
        this.failures.push(`${method} ${path.replace(/tok_[A-Za-z0-9_-]+/, 'tok_…')}: ${status} ${String(json.code ?? '')}`);
        return undefined;
      }
      if (Date.now() > deadline) {
        this.failures.push(`${method} ${path.replace(/tok_[A-Za-z0-9_-]+/, 'tok_…')}: no final answer within ${OPERATION_DEADLINE_MS} ms (last ${status})`);
        return undefined;
      }
      await new Promise((r) => setTimeout(r, retryAfterMs));
    }
  }
}

/**
 * Open loop: `perSecond` operations started per second until `stop` is aborted, at most
 * `maxInFlight` at once; resolves when the last started operation has its final answer.
 */
export async function openLoop(workload: FailoverWorkload, perSecond: number, stop: AbortSignal, maxInFlight: number, offset: number): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  let slot = offset;
  while (!stop.aborted) {
    if (inFlight.size < maxInFlight) {
      const p = workload.run(slot++).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await new Promise((r) => setTimeout(r, 1000 / perSecond));
  }
  await Promise.all(inFlight);
}

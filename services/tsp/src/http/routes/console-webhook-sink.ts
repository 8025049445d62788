import { CryptoError, verifyCompact, type Jwks } from '@opentsp/crypto';
import { scrubCardNumbers } from '../../observability/card-data-scrubber';

/** One webhook POST the sandbox sink received (`GET /console/sandbox/webhooks`). */
export interface ReceivedWebhook {
  seq: number;
  receivedAt: string;
  eventType: string;
  eventId: string;
  tokenRef?: string;
  /** Whether `OpenTSP-Signature` verified over the exact body bytes (docs/webhooks.md). */
  signatureValid: boolean;
  body: unknown;
}

/** Where the sink gets the TSP's public keys: the JWKS it publishes, and a reload for an unknown `kid`. */
export interface SinkJwksSource {
  get(): Jwks;
  refresh(): Promise<void>;
}

/** The contract gives `OpenTSP-Signature` an `iat` window of 5 minutes (docs/webhooks.md). */
const SIGNATURE_MAX_AGE_SECONDS = 300;
/** The sink is a demo view: the newest deliveries only, in memory, so it cannot grow. */
export const SINK_CAPACITY = 200;

/**
 * The sandbox's own webhook receiver: the sandbox wallet's and bank's deliveries land here so
 * the console's demo page can show real signed events arriving. It verifies the signature
 * exactly as docs/webhooks.md tells integrators to (raw bytes, ES256, `iat` ≤ 5 min, one JWKS
 * reload on an unknown `kid`) and keeps the last {@link SINK_CAPACITY} deliveries, valid or not,
 * so a broken signature is visible in the demo instead of silently dropped.
 *
 * The sink takes POSTs from anyone who can reach the sandbox, so a stored body is scrubbed of
 * anything PAN-shaped: the console renders it, and it must never render a card number.
 */
export class WebhookSink {
  readonly #entries: ReceivedWebhook[] = [];
  #seq = 0;

  constructor(private readonly jwks: SinkJwksSource) {}

  /**
   * Records one delivery. Returns the entry, or `undefined` when the body is not a JSON object
   * (nothing a TSP sends; not kept).
   */
  async receive(rawBody: Buffer, signature: string | undefined, now = new Date()): Promise<ReceivedWebhook | undefined> {
    const body = parseObject(rawBody);
    if (!body) return undefined;
    const data = body.data as { token?: { tokenRef?: unknown } } | undefined;
    const tokenRef = data?.token?.tokenRef;
    const entry: ReceivedWebhook = {
      seq: ++this.#seq,
      receivedAt: now.toISOString(),
      eventType: typeof body.type === 'string' ? body.type : '',
      eventId: typeof body.id === 'string' ? body.id : '',
      ...(typeof tokenRef === 'string' ? { tokenRef } : {}),
      signatureValid: signature ? await this.#verifies(signature, rawBody) : false,
      body,
    };
    this.#entries.push(entry);
    if (this.#entries.length > SINK_CAPACITY) this.#entries.splice(0, this.#entries.length - SINK_CAPACITY);
    return entry;
  }

  /** Entries with `seq` greater than `after`, oldest first (the console polls with its last seq). */
  list(after = 0): ReceivedWebhook[] {
    return this.#entries.filter((e) => e.seq > after);
  }

  async #verifies(signature: string, rawBody: Buffer): Promise<boolean> {
    const verify = () => verifyCompact(signature, this.jwks.get(), { detachedPayload: rawBody, maxAgeSeconds: SIGNATURE_MAX_AGE_SECONDS });
    try {
      try {
        await verify();
      } catch (err) {
        // An unknown kid may be a key rotated in by another process: reload once, as receivers do.
        if (!(err instanceof CryptoError && err.code === 'key_not_found')) throw err;
        await this.jwks.refresh();
        await verify();
      }
      return true;
    } catch {
      return false;
    }
  }
}

function parseObject(raw: Buffer): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
  return value && typeof value === 'object' && !Array.isArray(value) ? (withoutCardNumbers(value) as Record<string, unknown>) : undefined;
}

/** Masks Luhn-valid card-number runs in every string (and PAN-sized integer) of a parsed body. */
function withoutCardNumbers(value: unknown): unknown {
  if (typeof value === 'string') return scrubCardNumbers(value);
  if (typeof value === 'number') {
    const text = String(value);
    return scrubCardNumbers(text) === text ? value : scrubCardNumbers(text);
  }
  if (Array.isArray(value)) return value.map(withoutCardNumbers);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, member]) => [key, withoutCardNumbers(member)]));
  }
  return value;
}

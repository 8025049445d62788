import { signCompact, type Key } from '@opentsp/crypto';

/** What one HTTP attempt came to. Never carries the response body (it may echo anything). */
export type SendResult =
  | { ok: true; status: number; durationMs: number }
  | { ok: false; status?: number; error: string; kind: 'http_error' | 'timeout' | 'network_error'; durationMs: number };

export interface SendOptions {
  timeoutMs: number;
  /** Injected for tests; defaults to the global `fetch`. */
  fetch?: typeof fetch;
}

const USER_AGENT = 'OpenTSP-Webhooks/0.1';

/**
 * Posts one signed webhook. The body is sent byte for byte as stored; `OpenTSP-Signature` is a
 * compact JWS with detached payload over exactly those bytes (RFC 7515 Appendix F), signed now
 * with the TSP's current `sig` key (fresh `iat`, so a retry hours later still passes the
 * receiver's 5-minute check).
 *
 * Redirects are not followed (`redirect: 'manual'`, a 3xx is a failure): the registered URL is
 * the only place the TSP posts to, and a redirect must not steer signed events elsewhere.
 */
export async function sendWebhook(url: string, body: string, signingKey: Key, options: SendOptions): Promise<SendResult> {
  const signature = await signCompact(body, signingKey, { detached: true });
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const response = await (options.fetch ?? fetch)(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'opentsp-signature': signature, 'user-agent': USER_AGENT },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    // Drain nothing: the body is not read (not stored, not logged), only released.
    await response.body?.cancel().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status, durationMs: elapsed() };
    return { ok: false, status: response.status, error: `HTTP ${response.status} from receiver`, kind: 'http_error', durationMs: elapsed() };
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      return { ok: false, error: `no answer within ${options.timeoutMs} ms`, kind: 'timeout', durationMs: elapsed() };
    }
    return { ok: false, error: `network error: ${networkErrorCode(err)}`, kind: 'network_error', durationMs: elapsed() };
  }
}

// The error class only (ECONNREFUSED, ENOTFOUND …): messages may repeat the URL, which can
// carry a receiver's secret path or query.
function networkErrorCode(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; name?: unknown } }).cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.name === 'string') return cause.name;
  return (err as { name?: string }).name ?? 'Error';
}

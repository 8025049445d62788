import { signCompact, type Key } from '@opentsp/crypto';
import type { OutboundGuard } from '../../util/outbound-guard';

export interface SignedPostResult {
  status: number;
  body: unknown;
}

/** Why a call to the issuer did not produce an answer (for the audit log; no payloads). */
export class IssuerCallError extends Error {
  override readonly name = 'IssuerCallError';
  constructor(readonly reason: 'timeout' | 'network' | 'http_status' | 'invalid_response', message: string) {
    super(message);
  }
}

/**
 * POSTs a JSON body to an issuer endpoint with the `OpenTSP-Signature` header: a compact JWS
 * with detached payload (RFC 7515 Appendix F) over the exact body bytes, signed with the TSP's
 * current `sig` key, as for webhooks. The whole exchange is bounded by `timeoutMs` (the
 * contract gives the issuer 3 s to decide). Never call this inside a database transaction.
 *
 * @example
 * ```ts
 * const { status, body } = await signedPost(issuer.decisionUrl, request, { signingKey, timeoutMs: 3000 });
 * ```
 */
export interface SignedPostOptions {
  signingKey: Key;
  timeoutMs: number;
  /** Refuses internal destinations before connecting (production); a refusal is a `network` failure. */
  guard?: OutboundGuard;
}

export async function signedPost(url: string, payload: unknown, options: SignedPostOptions): Promise<SignedPostResult> {
  const bytes = Buffer.from(JSON.stringify(payload), 'utf8');
  const signature = await signCompact(bytes, options.signingKey, { detached: true });
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), options.timeoutMs);
  try {
    if (options.guard) {
      try {
        await options.guard.check(url);
      } catch {
        throw new IssuerCallError('network', 'destination_not_allowed');
      }
    }
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'opentsp-signature': signature },
      body: bytes,
      signal: abort.signal,
      redirect: 'error',
    });
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: res.status, body };
  } catch (err) {
    if (err instanceof IssuerCallError) throw err;
    if (abort.signal.aborted) throw new IssuerCallError('timeout', `no answer within ${options.timeoutMs} ms`);
    throw new IssuerCallError('network', (err as Error).message);
  } finally {
    clearTimeout(timer);
  }
}

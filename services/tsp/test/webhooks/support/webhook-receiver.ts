import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { verifyCompact, type Jwks, type JwsHeader } from '@opentsp/crypto';

/** One request as the receiver saw it. */
export interface Received {
  path: string;
  rawBody: string;
  event: { id: string; type: string; createdAt: string; data: { token: { tokenRef: string } } };
  headers: IncomingMessage['headers'];
  /** The verified JWS header, or the verification error's code. */
  signature: { ok: true; header: JwsHeader } | { ok: false; error: string };
  /** What the receiver answered (`'hang'`: nothing until the TSP gave up). */
  answer: number | 'hang';
  at: number;
}

/** Decides the answer to a request (a status code, or `'hang'` to never answer in time). */
export type Behaviour = (received: Omit<Received, 'answer'>) => number | 'hang';

/**
 * A wallet's or bank's webhook endpoint, as an integrator would write one: reads the raw body,
 * verifies `OpenTSP-Signature` against the TSP's public JWKS (detached payload, 5-minute `iat`
 * window) and answers per the test's `behaviour`.
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  behaviour: Behaviour = () => 204;
  private server!: Server;
  private waiters: Array<() => void> = [];
  url = '';

  constructor(private readonly jwks: () => Jwks) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    return this;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    let signature: Received['signature'];
    try {
      const { header } = await verifyCompact(String(req.headers['opentsp-signature']), this.jwks(), {
        detachedPayload: rawBody,
        maxAgeSeconds: 300,
      });
      signature = { ok: true, header };
    } catch (err) {
      signature = { ok: false, error: String((err as { code?: string }).code ?? err) };
    }
    const seen = { path: req.url ?? '/', rawBody, event: JSON.parse(rawBody) as Received['event'], headers: req.headers, signature, at: Date.now() };
    const answer = this.behaviour(seen);
    this.received.push({ ...seen, answer });
    for (const wake of this.waiters.splice(0)) wake();
    if (answer === 'hang') {
      // Answer long after the TSP's timeout; the TSP has hung up by then.
      setTimeout(() => res.writeHead(204).end(), 2_000).unref();
      return;
    }
    res.writeHead(answer).end();
  }

  /** Resolves once `predicate` holds over what was received (checked on every request). */
  async until(predicate: (received: Received[]) => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.received)) {
      if (Date.now() > deadline) throw new Error(`receiver: condition not met within ${timeoutMs} ms (${this.received.length} requests)`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50).unref();
      });
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Polls `probe` until it returns a value (not undefined) or the time is up. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

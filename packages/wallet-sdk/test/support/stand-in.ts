import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the stand-in received. */
export interface Received {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** What a handler answers: a status and a JSON body, or `'destroy'` to close the socket unanswered. */
export type Answer =
  | { status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number; contentType?: string }
  | 'destroy'
  | 'hang';

export type Handler = (req: Received) => Answer | Promise<Answer>;

/**
 * A TSP stand-in on 127.0.0.1, port 0, made with node:http: no mocking library, and the SDK
 * under test gets nothing but its base URL. `/oauth2/token` and `/.well-known/jwks.json`
 * answer by default; each test routes the rest with `on(method, path, handler)`.
 */
export class StandIn {
  readonly received: Received[] = [];
  readonly #routes = new Map<string, Handler>();
  #server!: Server;
  url = '';
  tokenCount = 0;
  jwks: unknown = { keys: [] };
  tokenLifetimeSeconds = 900;

  static async start(): Promise<StandIn> {
    const s = new StandIn();
    s.#server = createServer((req, res) => void s.#handle(req, res));
    await new Promise<void>((resolve) => s.#server.listen(0, '127.0.0.1', resolve));
    s.url = `http://127.0.0.1:${(s.#server.address() as AddressInfo).port}`;
    s.on('POST', '/oauth2/token', () => {
      s.tokenCount += 1;
      return { status: 200, body: { access_token: `at-${s.tokenCount}`, token_type: 'Bearer', expires_in: s.tokenLifetimeSeconds, scope: 'tokens:read' } };
    });
    s.on('GET', '/.well-known/jwks.json', () => ({ status: 200, body: s.jwks }));
    return s;
  }

  /** Routes `METHOD path` to `handler` (replacing any earlier one). */
  on(method: string, path: string, handler: Handler): void {
    this.#routes.set(`${method} ${path}`, handler);
  }

  /** Answers `METHOD path` with `answers` in turn, then repeats the last one. */
  sequence(method: string, path: string, answers: Answer[]): void {
    let i = 0;
    this.on(method, path, () => answers[Math.min(i++, answers.length - 1)] as Answer);
  }

  /** The requests to `path` (any method other than the token and JWKS endpoints by default). */
  calls(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', this.url);
    const received: Received = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
      at: Date.now(),
    };
    this.received.push(received);
    const handler = this.#routes.get(`${received.method} ${received.path}`);
    const answer: Answer = handler
      ? await handler(received)
      : { status: 404, body: problem('not_found', 404), contentType: 'application/problem+json' };
    if (answer === 'destroy') return void req.socket.destroy();
    if (answer === 'hang') return;
    if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
    const isProblem = answer.status >= 400;
    res.writeHead(answer.status, {
      'content-type': answer.contentType ?? (isProblem ? 'application/problem+json' : 'application/json'),
      'x-request-id': `req-${this.received.length}`,
      ...answer.headers,
    });
    res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
  }
}

/** An RFC 9457 problem document as the TSP writes it. */
export function problem(code: string, status: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: `urn:opentsp:problem:${code}`,
    title: code,
    status,
    detail: `stand-in ${code}`,
    code,
    requestId: `req-problem-${code}`,
    ...extra,
  };
}

/** A minimal contract-valid Token. */
export function tokenBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    tokenRef: 'tok_7Qm2vXk9LpR4sT8wZa1B',
    status: 'ACTIVE',
    trid: '90000000001',
    walletAccountId: 'wa_8842a1c7',
    tokenLast4: '9015',
    tokenExpiry: { month: 12, year: 2029 },
    par: 'U0017ZK4QH2M8XW5N3B6C9D1E0F2G',
    assuranceMethod: '13',
    domain: { channels: ['nfc', 'in_app'], tokenLocation: '02' },
    card: { cardRef: 'card_3Jf8KdL2mN5pQ7rS9tUv', panLast4: '1232', expiry: { month: 12, year: 2029 }, issuerId: 'iss_sandbox', issuerName: 'Sandbox Bank' },
    createdAt: '2026-01-01T09:00:00Z',
    updatedAt: '2026-01-01T09:00:00Z',
    ...overrides,
  };
}

/** Fast retries for tests: same policy, millisecond delays. */
export const FAST_RETRY = { baseDelayMs: 5, maxDelayMs: 20 };
export const CREDENTIALS = { clientId: 'cli_wallet0001SandboxA', clientSecret: 's3cret value' };

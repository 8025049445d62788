import net from 'node:net';
import { startTestTsp, type TestTsp } from '../support/tsp-harness';
import { jsonDepthExceeds } from '../../services/tsp/src/http/json-body-scan';

/**
 * Hardening against hostile clients (issue 11), on the production HTTP server
 * (`createHttpServer`): slow clients are cut, deep JSON is refused at once, CORS is closed
 * unless configured, and no framework banner is sent.
 */
describe('hardening against hostile clients', () => {
  let tsp: TestTsp;
  let corsTsp: TestTsp;

  beforeAll(async () => {
    [tsp, corsTsp] = await Promise.all([
      startTestTsp({ OPENTSP_HEADERS_TIMEOUT_MS: '1500', OPENTSP_REQUEST_TIMEOUT_MS: '3000' }, { productionServer: true }),
      startTestTsp({ OPENTSP_CORS_ORIGINS: 'https://wallet.example, http://localhost:5173' }, { productionServer: true }),
    ]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([tsp?.close(), corsTsp?.close()]);
  });

  it('cuts off a client that sends its headers one byte at a time (slowloris)', async () => {
    const port = Number(new URL(tsp.url).port);
    const socket = net.connect(port, '127.0.0.1');
    const started = Date.now();
    const request = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ' + 'a'.repeat(200);
    let sent = 0;
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now() - started)));
    socket.on('error', () => undefined);
    const drip = setInterval(() => {
      if (sent < request.length && !socket.destroyed) socket.write(request[sent++] as string);
    }, 100);
    const elapsed = await closed;
    clearInterval(drip);
    // headersTimeout 1.5 s, checked every second: cut well before the 20 s the drip would take.
    expect(elapsed).toBeLessThan(4_000);
    expect(sent).toBeLessThan(request.length);
    expect(answer === '' || answer.startsWith('HTTP/1.1 408')).toBe(true);
  });

  it('still serves normal clients after cutting a slow one', async () => {
    expect((await fetch(`${tsp.url}/healthz`)).status).toBe(200);
  });

  it('refuses a body nested 10,000 deep with a 400 problem, quickly', async () => {
    for (const body of [`${'['.repeat(10_000)}${']'.repeat(10_000)}`, `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`]) {
      const started = Date.now();
      const res = await fetch(`${tsp.url}/v1/detokenize`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
      const problem = (await res.json()) as { code: string; status: number };
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(problem).toMatchObject({ status: 400, code: 'validation_failed' });
      expect(Date.now() - started).toBeLessThan(1_000);
    }
  });

  it('measures depth on the raw bytes, ignoring brackets inside strings', () => {
    expect(jsonDepthExceeds(Buffer.from(JSON.stringify({ a: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[' })), 32)).toBe(false);
    expect(jsonDepthExceeds(Buffer.from(JSON.stringify({ a: 'x\\"[[[[', b: [[1]] })), 3)).toBe(false);
    expect(jsonDepthExceeds(Buffer.from('[[[[1]]]]'), 3)).toBe(true);
  });

  it('sends no X-Powered-By and the helmet security headers', async () => {
    const res = await fetch(`${tsp.url}/healthz`);
    expect(res.headers.get('x-powered-by')).toBeNull();
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('strict-transport-security')).toMatch(/max-age=/);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
  });

  it('sends no CORS headers at all when no origin is configured', async () => {
    const res = await fetch(`${tsp.url}/v1/tokens`, { headers: { Origin: 'https://evil.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${tsp.url}/v1/tokens`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflight.headers.get('access-control-allow-methods')).toBeNull();
  });

  it('allows exactly the configured origins, never a wildcard', async () => {
    const allowed = await fetch(`${corsTsp.url}/healthz`, { headers: { Origin: 'https://wallet.example' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://wallet.example');
    expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();
    const preflight = await fetch(`${corsTsp.url}/v1/tokens`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://localhost:5173', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    const other = await fetch(`${corsTsp.url}/healthz`, { headers: { Origin: 'https://wallet.example.evil' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('lets a browser wallet send the SDK header OpenTSP-Client and read lastResponse (request id, replay flag)', async () => {
    const preflight = await fetch(`${corsTsp.url}/v1/tokens`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://wallet.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'opentsp-client,idempotency-key' },
    });
    const allowHeaders = (preflight.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(/,\s*/);
    expect(allowHeaders).toEqual(expect.arrayContaining(['opentsp-client', 'idempotency-key']));
    const answer = await fetch(`${corsTsp.url}/healthz`, { headers: { Origin: 'https://wallet.example' } });
    const exposed = (answer.headers.get('access-control-expose-headers') ?? '').toLowerCase().split(/,\s*/);
    expect(exposed).toEqual(expect.arrayContaining(['x-request-id', 'idempotent-replayed']));
  });

  it('answers an oversized header block with 431 from the HTTP parser, before any handler', async () => {
    const res = await fetch(`${tsp.url}/healthz`, { headers: { 'X-Big': 'a'.repeat(20_000) } });
    expect(res.status).toBe(431);
  });
});

import request from 'supertest';
import { loadConfig } from '../../src/config';
import { closeServices, createServices } from '../../src/compose';
import { createApp } from '../../src/http/app';
import { createLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { openDatabase } from '../../src/store/database';
import { startTestTsp, type TestTsp } from '../../../../test/support/tsp-harness';
import { createTestDatabase } from '../../../../test/support/test-database';

const TEST_PAN = '6212345678901232';

function expectProblem(res: request.Response, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, code, type: expect.any(String), title: expect.any(String) });
  expect(res.body.requestId).toBe(res.headers['x-request-id']);
  // No stack traces, SQL or internals in any problem.
  expect(res.text).not.toMatch(/\bat .+\.(ts|js):\d+|node_modules|Error:|SELECT |INSERT /);
}

describe('errors are RFC 9457 problems with a stable code', () => {
  let tsp: TestTsp;
  beforeAll(async () => {
    tsp = await startTestTsp();
  });
  afterAll(async () => {
    await tsp.close();
  });

  it('answers malformed JSON with malformed_json', async () => {
    const res = await request(tsp.url).post('/v1/tokens').set('Content-Type', 'application/json').send('{"walletAccountId": ');
    expectProblem(res, 400, 'malformed_json');
  });

  it('answers a wrong content type with unsupported_media_type', async () => {
    const res = await request(tsp.url).post('/v1/tokens').set('Content-Type', 'text/plain').send('hello');
    expectProblem(res, 415, 'unsupported_media_type');
  });

  it('answers an unknown path with not_found', async () => {
    const res = await request(tsp.url).get('/v1/no-such-thing');
    expectProblem(res, 404, 'not_found');
  });

  it('answers a method the path does not support with method_not_allowed', async () => {
    const res = await request(tsp.url).put('/v1/detokenize').send({});
    expectProblem(res, 405, 'method_not_allowed');
  });

  it('answers a schema violation with validation_failed and the failing paths', async () => {
    const res = await request(tsp.url).post('/v1/detokenize').send({ tokenPan: 'abc' });
    expectProblem(res, 400, 'validation_failed');
    expect(res.body.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: expect.any(String), message: expect.any(String) })]),
    );
  });

  it('words validation messages plainly: field names in quotes, not percent-encoded', async () => {
    const res = await request(tsp.url).post('/v1/detokenize').send({ '<b>extra</b>': 1 });
    expectProblem(res, 400, 'validation_failed');
    const messages = (res.body.errors as Array<{ path: string; message: string }>).map((e) => `${e.path} ${e.message}`).join('\n');
    expect(messages).toMatch(/must have required property 'tokenPan'/);
    expect(res.text).not.toMatch(/%27|%22|%3C/);
    // Markup is escaped as JSON escapes: a reader gets the text back, a sniffing browser no tags.
    expect(res.text).not.toContain('<b>');
  });

  it('answers an oversized body with payload_too_large', async () => {
    const res = await request(tsp.url)
      .post('/v1/detokenize')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ padding: 'x'.repeat(70 * 1024) }));
    expectProblem(res, 413, 'payload_too_large');
  });

  it('gives each failure a distinct code', async () => {
    const codes = await Promise.all([
      request(tsp.url).post('/v1/tokens').set('Content-Type', 'application/json').send('{'),
      request(tsp.url).post('/v1/tokens').set('Content-Type', 'text/plain').send('x'),
      request(tsp.url).get('/v1/nothing-here'),
      request(tsp.url).post('/v1/detokenize').send({}),
    ]).then((responses) => responses.map((r) => r.body.code));
    expect(new Set(codes).size).toBe(4);
  });

  it('never echoes card data sent in a rejected body', async () => {
    const res = await request(tsp.url).post('/v1/detokenize').send({ tokenPan: TEST_PAN, pan: TEST_PAN, cvv2: '123' });
    expect(res.status).toBe(400);
    expect(res.text).not.toContain(TEST_PAN);
  });

  it('does not write a PAN carried in a request body to the logs', async () => {
    await request(tsp.url).post('/v1/tokens').send({ pan: TEST_PAN, note: `card ${TEST_PAN}` });
    await request(tsp.url).post('/v1/detokenize').send({ tokenPan: TEST_PAN, transaction: { merchantId: TEST_PAN } });
    await request(tsp.url).get(`/v1/tokens/${TEST_PAN}`);
    tsp.logger.info({ body: { pan: TEST_PAN } }, `a message mentioning ${TEST_PAN.replace(/(\d{4})/g, '$1 ')}`);
    tsp.logger.flush();
    const logs = tsp.logs.text();
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).toContain('/v1/detokenize');
    expect(logs.replace(/[ -]/g, '')).not.toContain(TEST_PAN);
  });
});

describe('readiness when the database is down', () => {
  it('reports service_unavailable on /readyz but stays alive on /healthz', async () => {
    const db = await createTestDatabase();
    const config = loadConfig({ OPENTSP_MODE: 'sandbox', LOG_LEVEL: 'silent' }, { databaseUrl: db.url });
    const ctx = { config, logger: createLogger({ level: 'silent' }), database: db, metrics: createMetrics() };
    const services = await createServices(ctx);
    // The same app, but its readiness probe reaches a server that does not answer.
    const unreachable = openDatabase({ connectionString: 'postgres://postgres@127.0.0.1:1/none', connectionTimeoutMs: 500 });
    const app = createApp({ ...ctx, database: { ...db, ping: (ms?: number) => unreachable.ping(ms) }, services });
    try {
      const ready = await request(app).get('/readyz');
      expectProblem(ready, 503, 'service_unavailable');
      expect((await request(app).get('/healthz')).status).toBe(200);
    } finally {
      await closeServices(services);
      await unreachable.close();
      await db.drop();
    }
  });
});

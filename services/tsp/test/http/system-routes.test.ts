import request from 'supertest';
import { startTestTsp, type TestTsp } from '../../../../test/support/tsp-harness';

describe('system routes', () => {
  let tsp: TestTsp;
  beforeAll(async () => {
    tsp = await startTestTsp();
  });
  afterAll(async () => {
    await tsp.close();
  });

  it('says the process is alive on /healthz', async () => {
    const res = await request(tsp.url).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
    expect(res.headers['x-request-id']).toMatch(/^req_/);
  });

  it('says the database is reachable on /readyz', async () => {
    const res = await request(tsp.url).get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ready', checks: { database: 'ok' } });
  });

  it('serves the contract as /openapi.json', async () => {
    const res = await request(tsp.url).get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\.1\./);
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/v1/tokens', '/v1/detokenize', '/oauth2/token']));
  });

  it('serves an interactive API reference on /docs from its own origin', async () => {
    const page = await request(tsp.url).get('/docs');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.text).toContain('/docs/assets/swagger-ui-bundle.js');
    expect(page.text).not.toMatch(/https?:\/\/(?!localhost)/);
    const bundle = await request(tsp.url).get('/docs/assets/swagger-ui-bundle.js');
    expect(bundle.status).toBe(200);
  });

  it('exposes Prometheus metrics on /metrics', async () => {
    await request(tsp.url).get('/healthz');
    const res = await request(tsp.url).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.text).toContain('opentsp_http_request_duration_seconds');
    expect(res.text).toContain('opentsp_process_resident_memory_bytes');
  });

  it('sends security headers and no x-powered-by', async () => {
    const res = await request(tsp.url).get('/healthz');
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
  });
});

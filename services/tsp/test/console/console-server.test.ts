import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { startTestTsp, type TestTsp } from '../../../../test/support/tsp-harness';

/*
 * The TSP serves the built console at /console (docs/operations.md "Console"). A fake build in a
 * temporary OPENTSP_CONSOLE_DIR stands in for packages/console/dist, so these tests do not
 * depend on the UI build: what is under test is how the server serves whatever Vite emitted.
 */
const INDEX = '<!doctype html><html><head><script type="module" src="/console/assets/index-3f9a1c.js"></script></head><body>fake console build</body></html>';
const SCRIPT = 'document.body.dataset.loaded = "yes";';

function writeFakeBuild(dir: string): void {
  mkdirSync(path.join(dir, 'assets'), { recursive: true });
  writeFileSync(path.join(dir, 'index.html'), INDEX);
  writeFileSync(path.join(dir, 'assets', 'index-3f9a1c.js'), SCRIPT);
  writeFileSync(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
}

describe('console server: the built console at /console', () => {
  let tsp: TestTsp;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'opentsp-console-'));

  beforeAll(async () => {
    writeFakeBuild(dir);
    tsp = await startTestTsp({ OPENTSP_CONSOLE_DIR: dir });
  });
  afterAll(async () => {
    await tsp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves index.html at /console and /console/, revalidated on every load, under a same-origin CSP', async () => {
    for (const page of ['/console', '/console/']) {
      const res = await request(tsp.url).get(page);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).toBe(INDEX);
      expect(res.headers['cache-control']).toBe('no-cache');
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self';");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).toMatch(/style-src 'self'/);
      expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('answers client-side routes of the app with index.html (single-page app)', async () => {
    for (const page of ['/console/tokens/tok_8hR2kLm4', '/console/admin/keys', '/console/demo?step=2']) {
      const res = await request(tsp.url).get(page);
      expect(res.status).toBe(200);
      expect(res.text).toBe(INDEX);
      expect(res.headers['cache-control']).toBe('no-cache');
    }
  });

  it('serves hashed assets with their type and a one-year immutable cache', async () => {
    const res = await request(tsp.url).get('/console/assets/index-3f9a1c.js');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^(text|application)\/javascript/);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.text).toBe(SCRIPT);
    const head = await request(tsp.url).head('/console/assets/index-3f9a1c.js');
    expect(head.status).toBe(200);
  });

  it('serves unhashed files of the build without the long cache', async () => {
    const res = await request(tsp.url).get('/console/favicon.svg');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(res.headers['cache-control']).toBe('no-cache');
  });

  it('answers a missing asset with a 404 problem, not with index.html', async () => {
    for (const file of ['/console/assets/index-000000.js', '/console/missing.css']) {
      const res = await request(tsp.url).get(file);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe('not_found');
    }
  });

  it('serves nothing outside the console directory', async () => {
    for (const probe of ['/console/..%2f..%2fpackage.json', '/console/%2e%2e/%2e%2e/package.json', '/console/assets/..%2f..%2f..%2fpackage.json']) {
      const res = await request(tsp.url).get(probe);
      expect(res.text).not.toContain('"devDependencies"');
      expect([200, 400, 403, 404]).toContain(res.status);
    }
  });

  it('needs no access token and is not judged by the API contract', async () => {
    const res = await request(tsp.url).get('/console/').set('Authorization', 'Bearer not-a-token');
    expect(res.status).toBe(200);
    expect(res.headers['www-authenticate']).toBeUndefined();
  });

  it('leaves other methods on console paths to the API: a problem, never the page', async () => {
    const res = await request(tsp.url).post('/console/').send({});
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.text).not.toContain('fake console build');
  });
});

describe('console server: before the console is built', () => {
  let tsp: TestTsp;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'opentsp-console-unbuilt-'));

  beforeAll(async () => {
    tsp = await startTestTsp({ OPENTSP_CONSOLE_DIR: path.join(dir, 'dist') });
  });
  afterAll(async () => {
    await tsp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every console page with a 503 HTML page that gives the build command, then serves the build once it exists', async () => {
    for (const page of ['/console/', '/console/tokens/tok_1', '/console/assets/index-3f9a1c.js']) {
      const res = await request(tsp.url).get(page);
      expect(res.status).toBe(503);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.text).toContain('pnpm --filter @opentsp/console build');
    }
    // Building while the TSP runs is enough: the directory is looked at per request.
    writeFakeBuild(path.join(dir, 'dist'));
    const built = await request(tsp.url).get('/console/');
    expect(built.status).toBe(200);
    expect(built.text).toBe(INDEX);
  });

  it('keeps the API itself unaffected', async () => {
    const res = await request(tsp.url).get('/healthz');
    expect(res.status).toBe(200);
  });
});

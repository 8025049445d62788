import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { bootstrapSandboxServices } from '../../src/compose';
import { initKeystore } from '../../src/vault/configured-key-provider';
import { startTestTsp, type TestTsp } from '../../../../test/support/tsp-harness';

/*
 * A production TSP serves the console (issuers' customer service uses it) but has no sandbox:
 * no demo credentials, no webhook sink, and so no way to point a webhook at a loopback sink.
 */
describe('console server: production mode', () => {
  let tsp: TestTsp;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'opentsp-console-prod-'));

  beforeAll(async () => {
    const keystore = { OPENTSP_KEYSTORE_PATH: path.join(dir, 'keystore.jwe'), OPENTSP_KEYSTORE_PASSPHRASE: 'console-production-test-passphrase' };
    await initKeystore(keystore.OPENTSP_KEYSTORE_PATH, keystore.OPENTSP_KEYSTORE_PASSPHRASE);
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>console</title>');
    tsp = await startTestTsp({ OPENTSP_MODE: 'production', OPENTSP_BIN_CONTROLLER_ID: 'T401', OPENTSP_CONSOLE_DIR: dir, ...keystore });
  });
  afterAll(async () => {
    await tsp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the console', async () => {
    expect(tsp.config.mode).toBe('production');
    const res = await request(tsp.url).get('/console/');
    expect(res.status).toBe(200);
    expect(res.text).toContain('<title>console</title>');
  });

  it('answers 404 problems for sandbox.json, the webhook sink and the sandbox phone, whatever the method', async () => {
    const calls = [
      request(tsp.url).get('/console/sandbox.json'),
      request(tsp.url).get('/console/sandbox/webhooks'),
      request(tsp.url).get('/console/sandbox/webhooks?after=0'),
      request(tsp.url).get('/console/sandbox/phone'),
      request(tsp.url).post('/console/sandbox/webhooks').set('Content-Type', 'application/json').send('{"id":"evt_1","type":"token.created"}'),
    ];
    for (const res of await Promise.all(calls)) {
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe('not_found');
      expect(res.text).not.toContain('clientSecret');
    }
  });

  it('has no sandbox services, so nothing can route a webhook to the sink', async () => {
    expect(tsp.services.sandbox).toBeUndefined();
    await expect(bootstrapSandboxServices(tsp.services, tsp.config, { print: () => undefined })).rejects.toThrow(/sandbox mode/);
  });
});

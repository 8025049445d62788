import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { bootstrapSandboxServices, startBackgroundWork } from '../../src/compose';
import type { StopFn } from '../../src/context';
import type { SandboxCredentials } from '../../src/domain/identity/sandbox-bootstrap';
import { startSandboxIssuer, type SandboxIssuerHost } from '../../src/sandbox-issuer';
import { bearer, tokenFor } from '../../../../test/support/clients';
import { encryptCardFor, provisionBody } from '../../../../test/support/issuer-sim-harness';
import { registerTestPans } from '../../../../test/support/leak-scan';
import { startTestTsp, type TestTsp } from '../../../../test/support/tsp-harness';

/** The simulator's card records for the sandbox test cards (cardverify checks them; issue 16). */
const CARD_DETAILS = { expMonth: 12, expYear: 2031, cvv2: '123' };

/*
 * `opentsp serve --sandbox` runs the issuer simulator in process and points the sandbox bank
 * at it (issue 16): the three test cards get the decisions sandbox.json names them by, with
 * signatures checked, and the step-up code is readable on the sandbox phone.
 */
describe('sandbox bank: the issuer simulator inside a sandbox TSP', () => {
  let tsp: TestTsp;
  let sim: SandboxIssuerHost;
  let stopWork: StopFn;
  let credentials: SandboxCredentials;
  let wallet: Record<string, string>;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'opentsp-sandbox-issuer-'));

  const provision = async (name: keyof SandboxCredentials['issuer']['testCards']) => {
    const pan = credentials.issuer.testCards[name];
    const encryptedCard = await encryptCardFor(tsp.url, { pan, ...CARD_DETAILS });
    return request(tsp.url).post('/v1/tokens').set(wallet).send(provisionBody(encryptedCard));
  };

  beforeAll(async () => {
    tsp = await startTestTsp({ OPENTSP_DATA_DIR: dataDir });
    sim = await startSandboxIssuer(tsp.logger);
    ({ credentials } = await bootstrapSandboxServices(tsp.services, tsp.config, { print: () => undefined, listeningUrl: tsp.url, issuerHost: sim }));
    sim.verifyWith(tsp.url);
    registerTestPans(...Object.values(credentials.issuer.testCards));
    stopWork = startBackgroundWork(tsp.services);
    wallet = bearer(await tokenFor(tsp, credentials.wallet));
  });
  afterAll(async () => {
    await stopWork();
    await sim.stop();
    await tsp.services.identity.close();
    await tsp.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('points the sandbox bank at the running simulator', async () => {
    const issuer = await tsp.services.identity.issuers.get(credentials.issuer.issuerId);
    expect(issuer).toMatchObject({ decisionUrl: `${sim.url}/decisions`, otpDeliveryUrl: `${sim.url}/otp-deliveries` });
  });

  it('follows the simulator to its new port at the next start', async () => {
    const moved = await startSandboxIssuer(tsp.logger);
    try {
      await bootstrapSandboxServices(tsp.services, tsp.config, { print: () => undefined, issuerHost: moved });
      expect(await tsp.services.identity.issuers.get(credentials.issuer.issuerId)).toMatchObject({ decisionUrl: `${moved.url}/decisions` });
    } finally {
      await bootstrapSandboxServices(tsp.services, tsp.config, { print: () => undefined, issuerHost: sim });
      await moved.stop();
    }
  });

  it('refuses calls that do not carry the TSP signature', async () => {
    const res = await fetch(`${sim.url}/decisions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ panLast4: '2343' }) });
    expect(res.status).toBe(401);
  });

  it('approves the approve card: ACTIVE, assurance 13', async () => {
    const res = await provision('approve');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'ACTIVE', assuranceMethod: '13' });
  });

  it('declines the decline card: 403 provisioning_declined, no card number in the problem', async () => {
    const res = await provision('decline');
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('provisioning_declined');
    expect(res.text).not.toContain(credentials.issuer.testCards.decline);
  });

  it('steps up the stepUp card; the code on the sandbox phone activates the token', async () => {
    const created = await provision('stepUp');
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'INACTIVE', verification: { required: true } });
    const method = created.body.verification.methods.find((m: { type: string }) => m.type === 'sms');
    expect(method.maskedDestination).toMatch(/\*/);
    const tokenRef = created.body.tokenRef as string;

    const challenge = await request(tsp.url).post(`/v1/tokens/${tokenRef}/verification`).set(wallet).send({ methodId: method.id });
    expect(challenge.status).toBe(201);

    const phone = await request(tsp.url).get('/console/sandbox/phone').query({ tokenRef });
    expect(phone.status).toBe(200);
    expect(phone.headers['cache-control']).toBe('no-store');
    expect(phone.body.data).toHaveLength(1);
    const [message] = phone.body.data;
    expect(message).toMatchObject({ to: method.maskedDestination, channel: 'sms', tokenRef, challengeId: challenge.body.challengeId });
    expect(message.text).toContain(message.code);
    for (const pan of Object.values(credentials.issuer.testCards)) expect(phone.text).not.toContain(pan);

    const confirmed = await request(tsp.url)
      .post(`/v1/tokens/${tokenRef}/verification/confirm`)
      .set(wallet)
      .send({ challengeId: challenge.body.challengeId, code: message.code });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({ status: 'ACTIVE', assuranceMethod: '11' });
  });
});

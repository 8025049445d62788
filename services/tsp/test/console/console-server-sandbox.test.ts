import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { signCompact } from '@opentsp/crypto';
import request from 'supertest';
import { bootstrapSandboxServices, closeServices, createServices, startBackgroundWork, type Services } from '../../src/compose';
import type { StopFn } from '../../src/context';
import type { DemoCard, SandboxCredentials } from '../../src/domain/identity/sandbox-bootstrap';
import { containsCardNumber } from '../../src/observability/card-data-scrubber';
import { createMetrics } from '../../src/observability/metrics';
import { bearer, tokenFor } from '../../../../test/support/clients';
import { registerTestPans } from '../../../../test/support/leak-scan';
import { startTestTsp, type TestTsp } from '../../../../test/support/tsp-harness';

interface SinkEntry {
  seq: number;
  receivedAt: string;
  eventType: string;
  eventId: string;
  tokenRef?: string;
  signatureValid: boolean;
  body: { id: string; type: string; data: { token: { tokenRef: string } } };
}

/*
 * Sandbox support of the console: the demo cards are in the vault at start (once), the console
 * gets the demo parties and cards at /console/sandbox.json without any card number, and the
 * sandbox wallet's and bank's webhooks land, signed, in the console's sink.
 */
describe('console server: sandbox demo support', () => {
  let tsp: TestTsp;
  let stopWork: StopFn;
  let credentials: SandboxCredentials;
  let demoCards: DemoCard[];
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'opentsp-console-sandbox-'));

  const sinkEntries = async (after?: number): Promise<SinkEntry[]> => {
    const res = await request(tsp.url).get('/console/sandbox/webhooks').query(after === undefined ? {} : { after });
    expect(res.status).toBe(200);
    return res.body.data as SinkEntry[];
  };
  const sinkUntil = async (match: (e: SinkEntry) => boolean, timeoutMs = 15_000): Promise<SinkEntry> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = (await sinkEntries()).find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error('no matching webhook reached the sink');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  beforeAll(async () => {
    tsp = await startTestTsp({ OPENTSP_DATA_DIR: dataDir, OPENTSP_WEBHOOK_POLL_INTERVAL_MS: '100' });
    ({ credentials, demoCards } = await bootstrapSandboxServices(tsp.services, tsp.config, { print: () => undefined, listeningUrl: tsp.url }));
    registerTestPans(...Object.values(credentials.issuer.testCards));
    stopWork = startBackgroundWork(tsp.services);
  });
  afterAll(async () => {
    await stopWork();
    await tsp.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the demo parties and cards at /console/sandbox.json, with no card number in it', async () => {
    const res = await request(tsp.url).get('/console/sandbox.json');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      issuer: { clientId: credentials.issuer.clientId, clientSecret: credentials.issuer.clientSecret, issuerId: credentials.issuer.issuerId },
      wallet: { clientId: credentials.wallet.clientId, clientSecret: credentials.wallet.clientSecret, trid: credentials.wallet.trid },
      acquirer: { clientId: credentials.acquirer.clientId, clientSecret: credentials.acquirer.clientSecret, merchantIds: credentials.acquirer.merchantIds },
      admin: { clientId: credentials.admin.clientId, clientSecret: credentials.admin.clientSecret },
      demoCards,
    });
    for (const pan of Object.values(credentials.issuer.testCards)) expect(res.text).not.toContain(pan);
    expect(containsCardNumber(res.text)).toBe(false);
    // The acquirer's response key would let a browser decrypt detokenized card numbers.
    expect(res.text).not.toContain('"k"');
  });

  it('registers the three sandbox test cards in the vault under the sandbox bank, one per issuer decision', async () => {
    const { testCards } = credentials.issuer;
    expect(demoCards.map((c) => c.outcome)).toEqual(['approve', 'step_up', 'decline']);
    expect(demoCards.map((c) => c.panLast4)).toEqual([testCards.approve, testCards.stepUp, testCards.decline].map((pan) => pan.slice(-4)));
    for (const card of demoCards) {
      expect(card.cardRef).toMatch(/^card_/);
      const stored = await tsp.services.vault.cards.getCard(tsp.db.db, card.cardRef);
      expect(stored).toMatchObject({ issuerId: credentials.issuer.issuerId, status: 'active', expMonth: card.expiry.month, expYear: card.expiry.year });
      expect(card.expiry.year).toBeGreaterThan(new Date().getUTCFullYear());
    }
  });

  it('delivers the one-tap demo flow’s webhooks, signed, to the sink: the wallet’s and the bank’s', async () => {
    const bank = bearer(await tokenFor(tsp, credentials.issuer));
    const wallet = bearer(await tokenFor(tsp, credentials.wallet));
    const approveCard = demoCards.find((c) => c.outcome === 'approve') as DemoCard;
    const receipt = await request(tsp.url).post('/v1/push-receipts').set(bank).send({ cardRef: approveCard.cardRef, trid: credentials.wallet.trid, walletAccountId: 'wa_demo' });
    expect(receipt.status).toBe(201);
    const token = await request(tsp.url).post('/v1/tokens').set(wallet).send({ pushReceipt: receipt.body.pushReceipt, walletAccountId: 'wa_demo' });
    expect(token.status).toBe(201);
    const tokenRef = token.body.tokenRef as string;

    const arrived = await sinkUntil((e) => e.tokenRef === tokenRef && e.eventType === 'token.created');
    expect(arrived).toMatchObject({ signatureValid: true, eventType: 'token.created', tokenRef });
    expect(arrived.body.id).toBe(arrived.eventId);
    expect(arrived.body.data.token.tokenRef).toBe(tokenRef);
    expect(Date.parse(arrived.receivedAt)).not.toBeNaN();

    // One copy for the wallet, one for the bank: both were pointed at the sink at start.
    await sinkUntil((e) => e.tokenRef === tokenRef && e.eventType === 'token.created' && e.seq !== arrived.seq);
    const deliveries = await request(tsp.url)
      .get('/v1/admin/webhooks/deliveries')
      .set(bearer(await tokenFor(tsp, credentials.admin)));
    expect(deliveries.status).toBe(200);
    const ofToken = (deliveries.body.data as Array<{ eventId: string; status: string; url?: string; recipient: { type: string; id: string } }>).filter(
      (d) => d.eventId === arrived.eventId,
    );
    expect(ofToken.map((d) => d.recipient).sort((a, b) => a.type.localeCompare(b.type))).toEqual([
      { type: 'client', id: credentials.wallet.clientId },
      { type: 'issuer', id: credentials.issuer.issuerId },
    ]);
    expect(ofToken.every((d) => d.status === 'delivered' && d.url === `${tsp.url}/console/sandbox/webhooks`)).toBe(true);
    expect(containsCardNumber(JSON.stringify(await sinkEntries()))).toBe(false);
  });

  it('lists only what came after ?after=<seq>, and refuses a malformed after', async () => {
    const all = await sinkEntries();
    expect(all.length).toBeGreaterThanOrEqual(2);
    const last = all[all.length - 1] as SinkEntry;
    expect(await sinkEntries(last.seq)).toEqual([]);
    expect((await sinkEntries(last.seq - 1)).map((e) => e.seq)).toEqual([last.seq]);
    const bad = await request(tsp.url).get('/console/sandbox/webhooks?after=-1');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('validation_failed');
  });

  it('keeps a delivery whose signature does not verify, marked invalid, and answers it 401', async () => {
    const body = JSON.stringify({ id: 'evt_forged0000000000001', type: 'token.suspended', createdAt: new Date().toISOString(), data: { token: { tokenRef: 'tok_forged' } } });
    const signature = await signCompact(body, tsp.services.vault.keyRing.signingKey(), { detached: true });
    const tampered = body.replace('token.suspended', 'token.resumed');
    const res = await request(tsp.url).post('/console/sandbox/webhooks').set('Content-Type', 'application/json').set('OpenTSP-Signature', signature).send(tampered);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('unauthorized');
    const unsigned = await request(tsp.url).post('/console/sandbox/webhooks').set('Content-Type', 'application/json').send(body);
    expect(unsigned.status).toBe(401);
    const forged = (await sinkEntries()).filter((e) => e.tokenRef === 'tok_forged');
    expect(forged.map((e) => [e.eventType, e.signatureValid])).toEqual([
      ['token.resumed', false],
      ['token.suspended', false],
    ]);

    // The same bytes with their signature verify: the check is over the raw body.
    const genuine = await request(tsp.url).post('/console/sandbox/webhooks').set('Content-Type', 'application/json').set('OpenTSP-Signature', signature).send(body);
    expect(genuine.status).toBe(204);
    expect((await sinkEntries()).filter((e) => e.tokenRef === 'tok_forged').map((e) => e.signatureValid)).toEqual([false, false, true]);
  });

  it('masks a card number posted to the sink before anyone can list it', async () => {
    const pan = credentials.issuer.testCards.approve;
    const body = JSON.stringify({ id: 'evt_pan', type: 'token.updated', data: { token: { tokenRef: 'tok_pan' }, note: `card ${pan}`, raw: Number(pan) } });
    await request(tsp.url).post('/console/sandbox/webhooks').set('Content-Type', 'application/json').send(body);
    const listed = JSON.stringify(await sinkEntries());
    expect(listed).toContain('tok_pan');
    expect(listed).not.toContain(pan);
    expect(containsCardNumber(listed)).toBe(false);
  });

  it('refuses a sink body that is not a JSON object', async () => {
    const res = await request(tsp.url).post('/console/sandbox/webhooks').set('Content-Type', 'application/json').send('[1,2');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('malformed_json');
  });

  it('keeps the same demo cards and parties across a restart: nothing duplicated', async () => {
    // A second process start on the same database and data directory.
    const restarted: Services = await createServices({ ...tsp.ctx, metrics: createMetrics() });
    try {
      const again = await bootstrapSandboxServices(restarted, tsp.config, { print: () => undefined });
      expect(again.demoCards).toEqual(demoCards);
      expect(again.credentials.wallet).toEqual(credentials.wallet);
      expect(restarted.sandbox?.view()?.demoCards).toEqual(demoCards);
    } finally {
      await closeServices(restarted);
    }
    const cards = await tsp.db.db.selectFrom('cards').select(['card_ref']).where('issuer_id', '=', credentials.issuer.issuerId).execute();
    expect(cards.map((c) => c.card_ref).sort()).toEqual(demoCards.map((c) => c.cardRef).sort());
    const created = await tsp.db.db.selectFrom('audit_entries').select(['subject_id']).where('action', '=', 'card.create').execute();
    expect(created).toHaveLength(3);
  });
});

import type { Server } from 'node:http';
import { KeySet, signCompact, type Key } from '@opentsp/crypto';
import { createIssuerSim, type IssuerSimState } from '../src/app';

/** The simulated bank accepts calls from the TSP only with a valid `OpenTSP-Signature`. */
describe('issuer simulator: signatures, webhooks, outages', () => {
  let tspKeys: KeySet;
  let signingKey: Key;
  let server: Server;
  let url: string;
  let state: IssuerSimState;
  beforeAll(async () => {
    tspKeys = KeySet.create();
    signingKey = await tspKeys.generate('ES256');
    const jwks = { get: async () => tspKeys.toPublicJwks(), refresh: async () => tspKeys.toPublicJwks() };
    const sim = createIssuerSim({ jwks });
    state = sim.state;
    server = await new Promise<Server>((resolve) => {
      const s = sim.app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  async function post(path: string, body: unknown, sign: 'valid' | 'other-body' | 'none' = 'valid') {
    const raw = JSON.stringify(body);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (sign !== 'none') headers['opentsp-signature'] = await signCompact(sign === 'valid' ? raw : `${raw} `, signingKey, { detached: true });
    return fetch(url + path, { method: 'POST', headers, body: raw });
  }

  const decisionRequest = {
    requestId: 'r1',
    tokenRef: 'tok_AAAAAAAAAAAAAAAA',
    cardRef: 'card_AAAAAAAAAAAAAAAA',
    panLast4: '1232',
    trid: '40100000001',
    walletAccountId: 'wa',
    tokenLocation: '02',
    channel: 'nfc',
    risk: { outcome: 'approve', reasonCodes: [] },
  };

  it('answers a signed decision request and refuses unsigned or mis-signed ones', async () => {
    expect((await post('/decisions', decisionRequest)).status).toBe(200);
    expect((await post('/decisions', decisionRequest, 'none')).status).toBe(401);
    expect((await post('/decisions', decisionRequest, 'other-body')).status).toBe(401);
  });

  it('keeps verified webhooks (deduplicated by id) and lists them', async () => {
    const event = { id: 'evt_AAAAAAAAAAAAAAAA', type: 'token.created', createdAt: new Date().toISOString(), data: { token: { tokenRef: 'tok_X', status: 'ACTIVE' } } };
    expect((await post('/webhooks', event)).status).toBe(204);
    expect((await post('/webhooks', event)).status).toBe(204);
    expect((await post('/webhooks/wallet', event)).status).toBe(204);
    expect((await post('/webhooks', { ...event, id: 'evt_BBBBBBBBBBBBBBBB' }, 'none')).status).toBe(401);
    const listed = (await (await fetch(`${url}/webhooks/received?tokenRef=tok_X`)).json()) as { data: Array<{ receiver: string; signatureVerified: boolean }> };
    expect(listed.data.map((w) => w.receiver)).toEqual(['issuer', 'wallet']);
    expect(listed.data.every((w) => w.signatureVerified)).toBe(true);
  });

  it('simulates an outage: 503 while down, normal again when up', async () => {
    await fetch(`${url}/control/availability`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mode: 'down' }) });
    expect(state.availability).toBe('down');
    expect((await post('/decisions', decisionRequest)).status).toBe(503);
    state.availability = 'up';
    expect((await post('/decisions', decisionRequest)).status).toBe(200);
  });
});

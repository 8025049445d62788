import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SDK_VERSION, WalletClient } from '../src';
import { clientHeaders } from '../src/user-agent';
import { CREDENTIALS, FAST_RETRY, StandIn, problem, tokenBody } from './support/stand-in';

const REF = 'tok_7Qm2vXk9LpR4sT8wZa1B';
const PACKAGE_VERSION = (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;

describe('lastResponse and client identification', () => {
  let tsp: StandIn;
  let wallet: WalletClient;
  beforeEach(async () => {
    tsp = await StandIn.start();
    wallet = new WalletClient({ baseUrl: tsp.url, credentials: CREDENTIALS, retry: FAST_RETRY, sleep: async () => undefined });
  });
  afterEach(() => tsp.close());

  it('gives a result the status and request id of its answer, without changing the result as JSON', async () => {
    tsp.on('GET', `/v1/tokens/${REF}`, () => ({ status: 200, body: tokenBody(), headers: { 'x-request-id': 'req_read_1' } }));
    const token = await wallet.getCard(REF);
    expect(token.lastResponse).toMatchObject({ statusCode: 200, requestId: 'req_read_1', idempotentReplayed: false });
    expect(token.lastResponse.headers['content-type']).toBe('application/json');
    expect(token.lastResponse.idempotencyKey).toBeUndefined();
    expect(JSON.stringify(token)).toBe(JSON.stringify(tokenBody()));
    expect(Object.keys(token)).not.toContain('lastResponse');
  });

  it('says when a POST was answered by an idempotent replay, with the key the SDK sent', async () => {
    tsp.on('POST', `/v1/tokens/${REF}/suspend`, () => ({ status: 200, body: tokenBody({ status: 'SUSPENDED' }), headers: { 'idempotent-replayed': 'true' } }));
    const token = await wallet.suspend(REF, { idempotencyKey: 'suspend-wa_8842a1c7-1' });
    expect(token.lastResponse).toMatchObject({ statusCode: 200, idempotentReplayed: true, idempotencyKey: 'suspend-wa_8842a1c7-1' });
    expect(tsp.calls(`/v1/tokens/${REF}/suspend`)[0]!.headers['idempotency-key']).toBe('suspend-wa_8842a1c7-1');
  });

  it('gives each page of a list its own lastResponse', async () => {
    tsp.on('GET', '/v1/tokens', (req) =>
      req.query.get('cursor')
        ? { status: 200, body: { data: [tokenBody({ tokenRef: 'tok_second' })], nextCursor: null }, headers: { 'x-request-id': 'req_page_2' } }
        : { status: 200, body: { data: [tokenBody()], nextCursor: 'cur_2' }, headers: { 'x-request-id': 'req_page_1' } },
    );
    const ids: (string | undefined)[] = [];
    for await (const page of wallet.listCards('wa_8842a1c7').pages()) ids.push(page.lastResponse.requestId);
    expect(ids).toEqual(['req_page_1', 'req_page_2']);
    expect((await wallet.listCards('wa_8842a1c7').firstPage()).lastResponse.statusCode).toBe(200);
  });

  it('describes the answer that finally succeeded after a retry', async () => {
    tsp.sequence('GET', `/v1/tokens/${REF}`, [
      { status: 503, body: problem('service_unavailable', 503), headers: { 'x-request-id': 'req_failed' } },
      { status: 200, body: tokenBody(), headers: { 'x-request-id': 'req_ok' } },
    ]);
    expect((await wallet.getCard(REF)).lastResponse.requestId).toBe('req_ok');
  });

  it('sends User-Agent and OpenTSP-Client with the version from package.json on every call', async () => {
    tsp.on('GET', `/v1/tokens/${REF}`, () => ({ status: 200, body: tokenBody() }));
    await wallet.getCard(REF);
    expect(SDK_VERSION).toBe(PACKAGE_VERSION);
    const [tokenCall] = tsp.calls('/oauth2/token');
    const [read] = tsp.calls(`/v1/tokens/${REF}`);
    for (const call of [tokenCall!, read!]) {
      expect(call.headers['opentsp-client']).toBe(`opentsp-wallet-sdk/${PACKAGE_VERSION}`);
      expect(call.headers['user-agent']).toBe(`opentsp-wallet-sdk/${PACKAGE_VERSION} node/${process.versions.node}`);
    }
  });

  it('does not set User-Agent in a browser, where scripts may not, but still sends OpenTSP-Client', () => {
    const g = globalThis as { document?: unknown };
    g.document = {};
    try {
      expect(clientHeaders()).toEqual({ 'opentsp-client': `opentsp-wallet-sdk/${PACKAGE_VERSION}` });
    } finally {
      delete g.document;
    }
    expect(clientHeaders()['user-agent']).toMatch(/^opentsp-wallet-sdk\/\S+ node\//);
  });
});

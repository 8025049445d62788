import { createServer, type Server } from 'node:http';
import { KeySet } from '@opentsp/crypto';
import { loadConfig, ConfigError } from '../../src/config';
import { requestDecision } from '../../src/domain/issuer-gateway/decision';
import { sendWebhook } from '../../src/domain/webhooks/webhook-sender';
import { createOutboundGuard, guardedFetch, isAddressAllowed, outboundGuardFor, parseCidrList } from '../../src/util/outbound-guard';

/*
 * SSRF guard (docs/security.md): in production the TSP refuses to post webhooks or issuer
 * calls to its own host, cloud metadata or internal networks unless an operator allows them.
 * A refused destination is never connected to.
 */

const none = parseCidrList('');

describe('which addresses the TSP calls', () => {
  it.each([
    ['127.0.0.1'], ['127.8.9.10'], ['10.1.2.3'], ['172.20.0.1'], ['192.168.1.1'], ['169.254.169.254'], ['100.64.0.1'],
    ['0.0.0.0'], ['224.0.0.1'], ['::1'], ['::'], ['fd00::1'], ['fe80::1'], ['::ffff:127.0.0.1'], ['::ffff:169.254.169.254'],
  ])('refuses %s by default', (address) => {
    expect(isAddressAllowed(address, none)).toBe(false);
  });

  it.each([['93.184.216.34'], ['8.8.8.8'], ['2606:4700::1111'], ['::ffff:8.8.8.8']])('allows the public address %s', (address) => {
    expect(isAddressAllowed(address, none)).toBe(true);
  });

  // NAT64 (RFC 6052 well-known prefix, RFC 8215 local-use) and IPv4-compatible (RFC 4291
  // §2.5.5.1) forms carry an IPv4 address a gateway or dual stack may reach: 64:ff9b::7f00:1 is
  // 127.0.0.1 behind a NAT64 gateway. Issue 20 (SSRF guard).
  it.each([
    ['64:ff9b::7f00:1'], ['64:ff9b::a9fe:a9fe'], ['64:ff9b::127.0.0.1'], ['64:ff9b:1::a00:1'], ['64:ff9b:1:ffff::1'],
    ['::7f00:1'], ['::127.0.0.1'], ['::a9fe:a9fe'], ['::0808:0808'],
  ])('refuses the NAT64 or IPv4-compatible address %s by default', (address) => {
    expect(isAddressAllowed(address, none)).toBe(false);
  });

  it('refuses a URL naming a NAT64 or IPv4-compatible address literal, unless an operator allows its range', async () => {
    const guard = createOutboundGuard({ allowAll: false, allowed: none });
    await expect(guard.check('https://[64:ff9b::169.254.169.254]/latest/meta-data')).rejects.toMatchObject({ code: 'destination_not_allowed' });
    await expect(guard.check('https://[::127.0.0.1]:5432/')).rejects.toMatchObject({ code: 'destination_not_allowed' });
    const allowing = createOutboundGuard({ allowAll: false, allowed: parseCidrList('64:ff9b::/96') });
    await expect(allowing.check('https://[64:ff9b::8.8.8.8]/hook')).resolves.toBeUndefined();
  });

  it('allows exactly the ranges an operator lists', () => {
    const allowed = parseCidrList('10.20.0.0/16, fd12:3456::/32, 127.0.0.1');
    expect(isAddressAllowed('10.20.5.6', allowed)).toBe(true);
    expect(isAddressAllowed('10.21.5.6', allowed)).toBe(false);
    expect(isAddressAllowed('fd12:3456::9', allowed)).toBe(true);
    expect(isAddressAllowed('127.0.0.1', allowed)).toBe(true);
    expect(isAddressAllowed('127.0.0.2', allowed)).toBe(false);
    expect(isAddressAllowed('169.254.169.254', allowed)).toBe(false);
  });

  it('refuses a name that resolves to any refused address, and one that resolves to nothing', async () => {
    const guard = createOutboundGuard({ allowAll: false, allowed: none, resolve: async (host) => (host === 'mixed.example' ? ['8.8.8.8', '10.0.0.1'] : []) });
    await expect(guard.check('https://mixed.example/hook')).rejects.toMatchObject({ code: 'destination_not_allowed' });
    await expect(guard.check('https://nowhere.example/hook')).rejects.toMatchObject({ code: 'destination_not_allowed' });
    await expect(guard.check('https://[::1]:8443/hook')).rejects.toMatchObject({ code: 'destination_not_allowed' });
  });

  it('is off in sandbox mode, on in production, and refuses a malformed allow-list at start (exit 78)', () => {
    expect(outboundGuardFor(loadConfig({ OPENTSP_MODE: 'sandbox' }, { databaseUrl: 'postgres://x@127.0.0.1/x' })).allowsAll).toBe(true);
    const production = { OPENTSP_MODE: 'production', DATABASE_URL: 'postgres://x@127.0.0.1/x', OPENTSP_KEYSTORE_PASSPHRASE: 'p'.repeat(32), OPENTSP_BIN_CONTROLLER_ID: 'T401' };
    expect(outboundGuardFor(loadConfig(production)).allowsAll).toBe(false);
    expect(() => loadConfig({ ...production, OPENTSP_OUTBOUND_ALLOW_CIDRS: '10.0.0.0/33' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...production, OPENTSP_OUTBOUND_ALLOW_CIDRS: 'intranet' })).toThrow(ConfigError);
  });
});

describe('a refused destination is never called', () => {
  let server: Server;
  let hits = 0;
  let url: string;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"decision":"approve"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const guard = createOutboundGuard({ allowAll: false, allowed: none });

  it('webhooks: the attempt fails as destination_not_allowed without a connection', async () => {
    const signingKey = await KeySet.create().generate('ES256', { kid: 'guard-test' });
    const result = await sendWebhook(`${url}/hooks`, '{}', signingKey, { timeoutMs: 2_000, fetch: guardedFetch(guard) });
    expect(result).toMatchObject({ ok: false, kind: 'network_error', error: 'network error: destination_not_allowed' });
    expect(hits).toBe(0);
  });

  it('issuer decisions: the issuer stand-in applies, as for an unreachable issuer, without a connection', async () => {
    const signingKey = await KeySet.create().generate('ES256', { kid: 'guard-test-2' });
    const issuer = { decisionUrl: `${url}/decisions`, standInDecision: 'step_up' } as Parameters<typeof requestDecision>[0];
    const decision = await requestDecision(issuer, {} as Parameters<typeof requestDecision>[1], { signingKey, timeoutMs: 2_000, guard });
    expect(decision).toMatchObject({ decision: 'step_up', source: 'stand_in', failure: 'network' });
    expect(hits).toBe(0);
    // The same call with the guard allowing loopback reaches the server.
    await requestDecision(issuer, {} as Parameters<typeof requestDecision>[1], { signingKey, timeoutMs: 2_000, guard: createOutboundGuard({ allowAll: false, allowed: parseCidrList('127.0.0.0/8') }) });
    expect(hits).toBe(1);
  });
});

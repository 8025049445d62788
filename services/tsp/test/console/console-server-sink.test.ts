import { signCompact } from '@opentsp/crypto';
import type { SandboxCredentials } from '../../src/domain/identity/sandbox-bootstrap';
import { SandboxConsole } from '../../src/http/routes/console-sandbox';
import { SINK_CAPACITY, WebhookSink } from '../../src/http/routes/console-webhook-sink';
import { createEphemeralKeyRing, type TspKeyRing } from '../../src/vault/tsp-key-ring';

/* The sink and the sandbox webhook routing on their own: no database, no HTTP. */
describe('console server: webhook sink', () => {
  let ring: TspKeyRing;
  let other: TspKeyRing;
  const event = (n: number) => JSON.stringify({ id: `evt_${n}`, type: 'token.created', createdAt: '2026-01-01T00:00:00.000Z', data: { token: { tokenRef: `tok_${n}` } } });

  beforeAll(async () => {
    [ring, other] = await Promise.all([createEphemeralKeyRing(), createEphemeralKeyRing()]);
  });

  it('keeps only the newest 200 deliveries, numbered in arrival order', async () => {
    const sink = new WebhookSink({ get: () => ring.publicJwks(), refresh: async () => undefined });
    for (let n = 1; n <= SINK_CAPACITY + 5; n++) {
      const body = event(n);
      await sink.receive(Buffer.from(body), await signCompact(body, ring.signingKey(), { detached: true }));
    }
    const kept = sink.list();
    expect(SINK_CAPACITY).toBe(200);
    expect(kept).toHaveLength(200);
    expect(kept[0]).toMatchObject({ seq: 6, eventId: 'evt_6', tokenRef: 'tok_6', signatureValid: true });
    expect(kept[199]?.seq).toBe(205);
    expect(sink.list(204).map((e) => e.seq)).toEqual([205]);
  });

  it('reloads the keys once on an unknown kid, as receivers must, and fails a signature by a key the TSP does not publish', async () => {
    let refreshes = 0;
    let published = other.publicJwks();
    const sink = new WebhookSink({ get: () => published, refresh: async () => void (refreshes += 1, (published = ring.publicJwks())) });
    const body = event(1);
    // Signed with a key the sink does not know yet: one reload finds it (a rotation).
    expect((await sink.receive(Buffer.from(body), await signCompact(body, ring.signingKey(), { detached: true })))?.signatureValid).toBe(true);
    expect(refreshes).toBe(1);
    // Signed with a key nobody publishes: still invalid after the reload.
    expect((await sink.receive(Buffer.from(body), await signCompact(body, other.signingKey(), { detached: true })))?.signatureValid).toBe(false);
    expect((await sink.receive(Buffer.from(body), 'not-a-jws'))?.signatureValid).toBe(false);
  });
});

describe('console server: sandbox webhook routing', () => {
  const credentials = {
    issuer: { clientId: 'cli_bank', clientSecret: 's1', issuerId: 'iss_sandbox' },
    wallet: { clientId: 'cli_wallet', clientSecret: 's2', trid: '40100000001' },
    acquirer: { clientId: 'cli_acq', clientSecret: 's3', merchantIds: ['898310048160001'] },
    admin: { clientId: 'cli_admin', clientSecret: 's4' },
  } as unknown as SandboxCredentials;
  const jwks = { get: () => ({ keys: [] }), refresh: async () => undefined };
  const registered = (urls: Record<string, string>) => ({
    urlFor: async (t: { kind: 'requestor'; clientId: string } | { kind: 'issuer'; issuerId: string }) => urls[t.kind === 'requestor' ? t.clientId : t.issuerId],
  });

  it('sends the sandbox wallet and bank to the sink once the demo is ready, and no one else', async () => {
    const sandbox = new SandboxConsole({ host: '0.0.0.0', port: 8080 }, jwks);
    const resolver = sandbox.webhookTargets(registered({ cli_other: 'https://wallet.example/hooks' }));
    expect(await resolver.urlFor({ kind: 'requestor', clientId: 'cli_wallet' })).toBeUndefined();
    sandbox.ready(credentials, []);
    expect(await resolver.urlFor({ kind: 'requestor', clientId: 'cli_wallet' })).toBe('http://127.0.0.1:8080/console/sandbox/webhooks');
    expect(await resolver.urlFor({ kind: 'issuer', issuerId: 'iss_sandbox' })).toBe('http://127.0.0.1:8080/console/sandbox/webhooks');
    expect(await resolver.urlFor({ kind: 'requestor', clientId: 'cli_acq' })).toBeUndefined();
    expect(await resolver.urlFor({ kind: 'issuer', issuerId: 'iss_elsewhere' })).toBeUndefined();
    expect(await resolver.urlFor({ kind: 'requestor', clientId: 'cli_other' })).toBe('https://wallet.example/hooks');
  });

  it('follows the real listening address, and lets a URL registered for a sandbox party win', async () => {
    const sandbox = new SandboxConsole({ host: '127.0.0.1', port: 0 }, jwks);
    sandbox.ready(credentials, []);
    expect(sandbox.sinkUrl()).toBeUndefined();
    sandbox.listening('http://0.0.0.0:43117');
    expect(sandbox.sinkUrl()).toBe('http://127.0.0.1:43117/console/sandbox/webhooks');
    sandbox.listening('http://[::]:43118');
    expect(sandbox.sinkUrl()).toBe('http://[::1]:43118/console/sandbox/webhooks');
    const resolver = sandbox.webhookTargets(registered({ cli_wallet: 'https://my-wallet.example/hooks' }));
    expect(await resolver.urlFor({ kind: 'requestor', clientId: 'cli_wallet' })).toBe('https://my-wallet.example/hooks');
  });
});

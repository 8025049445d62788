import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SANDBOX_ISSUER_CARD_KEY } from '../../src/domain/identity/sandbox-bootstrap';
import { cleanEnv, runOpentsp } from '../../../../test/support/cli';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/test-database';

/** `opentsp issuers …` / `opentsp clients …`: the operator's way to onboard without the API. */
describe('opentsp issuers / clients', () => {
  let db: TestDatabase;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    db = await createTestDatabase();
    env = cleanEnv({ DATABASE_URL: db.url, LOG_LEVEL: 'silent', OPENTSP_TSP_CODE: '402' });
  });
  afterAll(async () => {
    await db.drop();
  });

  it('registers an issuer and its client, each change audited with the cli as actor', async () => {
    const issuer = await runOpentsp(['issuers', 'create', '--sandbox', '--name', 'CLI Bank', '--country', 'CN', '--card-bin', '627001:16', '--token-bin', '628701:16'], env);
    expect(issuer.stderr).toBe('');
    expect(issuer.code).toBe(0);
    const issuerId = (JSON.parse(issuer.stdout) as { issuerId: string }).issuerId;
    expect(issuerId).toMatch(/^iss_/);

    const client = await runOpentsp(['clients', 'create', '--sandbox', '--role', 'issuer', '--name', 'CLI Bank backend', '--issuer-id', issuerId], env);
    expect(client.code).toBe(0);
    const created = JSON.parse(client.stdout) as { client: { clientId: string; issuerId: string; scopes: string[] }; clientSecret: string };
    expect(created.client).toMatchObject({ issuerId, scopes: ['push:create', 'issuer:tokens', 'issuer:cards'] });
    expect(created.clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const audit = await db.db.selectFrom('audit_entries').select(['action', 'actor']).orderBy('pk').execute();
    expect(audit).toEqual([
      { action: 'issuer.create', actor: { type: 'cli' } },
      { action: 'client.create', actor: { type: 'cli' } },
    ]);
  }, 60_000);

  it("registers an issuer with its card-data enc key from --jwks-file", async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'opentsp-jwks-')), 'bank.jwks.json');
    writeFileSync(file, JSON.stringify({ keys: [SANDBOX_ISSUER_CARD_KEY] }));
    const res = await runOpentsp(['issuers', 'create', '--sandbox', '--name', 'CLI Key Bank', '--country', 'CN', '--card-bin', '627003:16', '--token-bin', '628703:16', '--jwks-file', file], env);
    expect(res.code).toBe(0);
    expect((JSON.parse(res.stdout) as { jwks: unknown }).jwks).toEqual({ keys: [SANDBOX_ISSUER_CARD_KEY] });
    rmSync(path.dirname(file), { recursive: true, force: true });
  }, 60_000);

  it('reports a refused registration with its problem code and exit code 1', async () => {
    const res = await runOpentsp(['issuers', 'create', '--sandbox', '--name', 'Clash', '--country', 'CN', '--card-bin', '6270011:16', '--token-bin', '628702:16'], env);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^opentsp: bin_range_overlap: /);
  }, 30_000);
});

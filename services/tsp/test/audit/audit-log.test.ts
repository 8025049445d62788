import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { createAuditLog, type AuditLog } from '../../src/audit/audit-log';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/observability/logger';
import { openConfiguredKeyProvider } from '../../src/vault/configured-key-provider';
import { cleanEnv, runOpentsp } from '../../../../test/support/cli';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/test-database';

const logger = createLogger({ level: 'silent' });

function entry(n: number) {
  return {
    actor: { type: 'client' as const, clientId: 'cli_test' },
    action: 'token.suspend',
    subject: { type: 'token', id: `tok_${String(n).padStart(16, '0')}` },
    outcome: 'success' as const,
    details: { reason: 'lost', n },
  };
}

/** Tampering needs the append-only trigger out of the way, as the database owner could. */
async function tamper(db: TestDatabase, statement: ReturnType<typeof sql>): Promise<void> {
  const owner = db.owner.db;
  await sql`alter table audit_entries disable trigger audit_entries_append_only`.execute(owner);
  await statement.execute(owner);
  await sql`alter table audit_entries enable trigger audit_entries_append_only`.execute(owner);
}

// The chain key comes from a sandbox keystore the CLI opens too (`--sandbox` with its path).
const keysDir = mkdtempSync(path.join(tmpdir(), 'opentsp-audit-keys-'));
const keystoreEnv = { OPENTSP_KEYSTORE_PATH: path.join(keysDir, 'keystore.jwe') };
let chainKey: Buffer;
beforeAll(async () => {
  const provider = await openConfiguredKeyProvider(loadConfig({ OPENTSP_MODE: 'sandbox', ...keystoreEnv }), logger);
  chainKey = await provider.auditChainKey();
});
afterAll(() => rmSync(keysDir, { recursive: true, force: true }));

describe('hash-chained audit log', () => {
  let db: TestDatabase;
  let audit: AuditLog;
  beforeEach(async () => {
    db = await createTestDatabase();
    audit = createAuditLog(db.db, logger, chainKey);
    for (let n = 1; n <= 20; n++) await audit.append(db.db, entry(n));
  });
  afterEach(async () => {
    await db.drop();
  });

  it('chains every entry and verifies', async () => {
    const result = await audit.verify();
    expect(result).toMatchObject({ ok: true, entriesChecked: 20, lastSeq: 20, headHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('chains entries appended concurrently from two processes exactly once, in one chain', async () => {
    const other = createAuditLog(db.db, logger, chainKey);
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        (i % 2 ? audit : other).append(db.db, entry(100 + i)).then(() => (i % 3 ? audit.flush() : other.flush())),
      ),
    );
    const result = await audit.verify();
    expect(result).toMatchObject({ ok: true, entriesChecked: 80 });
  });

  it('is append-only for the application: updates and deletes of chained entries fail', async () => {
    await audit.flush();
    // The service role: no UPDATE of the entry, no DELETE (grants); the chain columns it may
    // fill are refused by the trigger once the row is chained.
    await expect(sql`update audit_entries set details = '{}' where seq = 3`.execute(db.db)).rejects.toThrow(/permission denied/);
    await expect(sql`delete from audit_entries where seq = 3`.execute(db.db)).rejects.toThrow(/permission denied/);
    await expect(sql`update audit_entries set hash = repeat('0', 64) where seq = 3`.execute(db.db)).rejects.toThrow(/append-only/);
    // The owner is still held off by the trigger (it can switch it off: the keyed chain shows that).
    await expect(sql`update audit_entries set details = '{}' where seq = 3`.execute(db.owner.db)).rejects.toThrow(/append-only/);
  });

  it('detects a changed entry', async () => {
    await audit.flush();
    await tamper(db, sql`update audit_entries set details = '{"reason":"fraud_suspected","n":7}' where seq = 7`);
    expect(await audit.verify()).toMatchObject({ ok: false, firstBrokenSeq: 7, entriesChecked: 6 });
  });

  it('detects a deleted entry', async () => {
    await audit.flush();
    await tamper(db, sql`delete from audit_entries where seq = 12`);
    expect(await audit.verify()).toMatchObject({ ok: false, firstBrokenSeq: 12 });
  });

  it('detects reordered entries', async () => {
    await audit.flush();
    await tamper(db, sql`update audit_entries set seq = -1 where seq = 5`);
    await tamper(db, sql`update audit_entries set seq = 5 where seq = 6`);
    await tamper(db, sql`update audit_entries set seq = 6 where seq = -1`);
    expect(await audit.verify()).toMatchObject({ ok: false, firstBrokenSeq: 5 });
  });

  it('refuses card numbers in entry details', async () => {
    await expect(
      audit.append(db.db, { ...entry(99), details: { note: 'card 6212345678901232' } }),
    ).rejects.toThrow(/card number/);
  });

  it('`opentsp audit verify` exits 0 on a sound chain and 1 naming the first broken entry', async () => {
    await audit.flush();
    const sound = await runOpentsp(['audit', 'verify', '--sandbox'], cleanEnv({ DATABASE_URL: db.url, ...keystoreEnv }));
    expect(sound.code).toBe(0);
    expect(sound.stdout).toMatch(/audit chain OK: 20 entries checked/);

    await tamper(db, sql`update audit_entries set outcome = 'denied' where seq = 9`);
    const broken = await runOpentsp(['audit', 'verify', '--sandbox'], cleanEnv({ DATABASE_URL: db.url, ...keystoreEnv }));
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/BROKEN at entry 9/);
  }, 60_000);

  it('`opentsp audit checkpoint --out` writes a signed checkpoint; `verify --checkpoints` catches the log truncated by the owner', async () => {
    const file = path.join(keysDir, `checkpoints-${db.name}.jsonl`);
    const env = cleanEnv({ DATABASE_URL: db.url, ...keystoreEnv });
    const made = await runOpentsp(['audit', 'checkpoint', '--sandbox', '--out', file], env);
    expect(made.code).toBe(0);
    const sound = await runOpentsp(['audit', 'verify', '--sandbox', '--checkpoints', file], env);
    expect(sound.stdout).toMatch(/audit chain OK: 20 entries checked, 1 signed checkpoint matched/);

    await sql`truncate audit_entries, audit_checkpoints`.execute(db.owner.db);
    const cut = await runOpentsp(['audit', 'verify', '--sandbox', '--checkpoints', file], env);
    expect(cut.code).toBe(1);
    expect(cut.stdout).toMatch(/BROKEN at entry 1 \(entries_missing/);
  }, 90_000);
});

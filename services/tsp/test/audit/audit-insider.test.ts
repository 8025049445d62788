import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KeySet, signCompact } from '@opentsp/crypto';
import { sql, type Kysely } from 'kysely';
import { createAuditCheckpoints, type AuditCheckpoints } from '../../src/audit/audit-checkpoints';
import { createAuditLog, type AuditLog } from '../../src/audit/audit-log';
import { createLogger } from '../../src/observability/logger';
import { hashedFields, type AuditRow } from '../../src/store/audit.repository';
import { canonicalJson } from '../../src/util/canonical-json';
import { createEphemeralKeyRing, type TspKeyRing } from '../../src/vault/tsp-key-ring';
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

/** The database owner (an insider, or whoever holds the migration credentials). */
function owner(db: TestDatabase): Kysely<any> {
  return db.owner.db;
}

/** What an insider with the owner role can do: switch the trigger off, change rows, switch it on. */
async function asInsider(db: TestDatabase, work: (tx: Kysely<any>) => Promise<void>): Promise<void> {
  await owner(db).transaction().execute(async (tx) => {
    await sql`alter table audit_entries disable trigger audit_entries_append_only`.execute(tx);
    await work(tx);
    await sql`alter table audit_entries enable trigger audit_entries_append_only`.execute(tx);
  });
}

describe('audit history against a database insider', () => {
  let db: TestDatabase;
  let audit: AuditLog;
  let checkpoints: AuditCheckpoints;
  let dir: string;
  let keyRing: TspKeyRing;
  beforeEach(async () => {
    db = await createTestDatabase();
    dir = mkdtempSync(path.join(tmpdir(), 'opentsp-audit-'));
    keyRing = await createEphemeralKeyRing();
    audit = createAuditLog(db.db, logger, randomBytes(32));
    checkpoints = createAuditCheckpoints(db.db, audit, keyRing, logger, { file: path.join(dir, 'checkpoints.jsonl') });
    for (let n = 1; n <= 20; n++) await audit.append(db.db, entry(n));
    await audit.flush();
  });
  afterEach(async () => {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('detects an entry rewritten with every later hash recomputed (the chain is keyed, the key is not in the database)', async () => {
    await asInsider(db, async (tx) => {
      const rows = (await sql<AuditRow>`select * from audit_entries where seq >= 7 order by seq`.execute(tx)).rows;
      let prevHash = rows[0]!.prev_hash!;
      for (const row of rows) {
        const forged = row.seq === 7 ? { ...row, outcome: 'denied' } : row;
        const hash = createHash('sha256').update(canonicalJson(hashedFields(forged, row.seq!, prevHash))).digest('hex');
        await sql`update audit_entries set outcome = ${forged.outcome}, prev_hash = ${prevHash}, hash = ${hash} where seq = ${row.seq}`.execute(tx);
        prevHash = hash;
      }
    });
    expect(await checkpoints.verify()).toMatchObject({ ok: false, firstBrokenSeq: 7 });
  });

  it('detects the newest entries deleted by the owner, against a signed checkpoint', async () => {
    await checkpoints.create();
    await asInsider(db, (tx) => sql`delete from audit_entries where seq >= 18`.execute(tx).then(() => undefined));
    expect(await checkpoints.verify()).toMatchObject({ ok: false, firstBrokenSeq: 18, lastSeq: 17 });
  });

  it('detects a truncated log rebuilt from scratch, through the checkpoint file kept outside the database', async () => {
    await checkpoints.create();
    await owner(db).transaction().execute(async (tx) => {
      await sql`truncate audit_entries, audit_checkpoints`.execute(tx);
    });
    for (let n = 1; n <= 25; n++) await audit.append(db.db, entry(100 + n));
    await audit.flush();
    expect(await checkpoints.verify()).toMatchObject({ ok: true, checkpointsChecked: 0 });
    const withFile = await checkpoints.verify({ checkpointFile: path.join(dir, 'checkpoints.jsonl') });
    expect(withFile).toMatchObject({ ok: false, firstBrokenSeq: 20, reason: 'checkpoint_mismatch' });
  });

  it('refuses a checkpoint altered to match a rewritten log, and does not count one signed by a stranger', async () => {
    const real = await checkpoints.create();
    const [header, , signature] = real.jws.split('.');
    const altered = Buffer.from(JSON.stringify({ seq: 3, hash: real.hash, at: real.at })).toString('base64url');
    await owner(db).insertInto('audit_checkpoints').values({ seq: 3, hash: real.hash, jws: `${header}.${altered}.${signature}` }).execute();
    expect(await checkpoints.verify()).toMatchObject({ ok: false, reason: 'checkpoint_invalid' });

    await owner(db).deleteFrom('audit_checkpoints').where('seq', '=', 3).execute();
    const stranger = await KeySet.create().generate('ES256', { use: 'sig' });
    const jws = await signCompact({ seq: 20, hash: '0'.repeat(64), at: real.at }, stranger, { typ: 'opentsp-audit-checkpoint+jws' });
    await owner(db).insertInto('audit_checkpoints').values({ seq: 20, hash: '0'.repeat(64), jws }).execute();
    expect(await checkpoints.verify()).toMatchObject({ ok: true, checkpointsChecked: 1, checkpointsUnverifiable: 1 });

    // Signed by the TSP's key, but not a checkpoint (a push receipt, say): refused.
    const other = await signCompact({ seq: 3, hash: real.hash, at: real.at }, keyRing.signingKey(), { typ: 'opentsp-push-receipt+jws' });
    await owner(db).insertInto('audit_checkpoints').values({ seq: 3, hash: real.hash, jws: other }).execute();
    expect(await checkpoints.verify()).toMatchObject({ ok: false, reason: 'checkpoint_invalid' });
  });

  it('writes each checkpoint as a signed line to the file and verifies a sound log against it', async () => {
    const made = await checkpoints.create();
    expect(made).toMatchObject({ seq: 20, hash: expect.stringMatching(/^[0-9a-f]{64}$/), jws: expect.any(String) });
    const lines = readFileSync(path.join(dir, 'checkpoints.jsonl'), 'utf8').trim().split('\n');
    expect(JSON.parse(lines[0]!)).toMatchObject({ seq: 20, hash: made.hash, jws: made.jws });
    const result = await checkpoints.verify({ checkpointFile: path.join(dir, 'checkpoints.jsonl') });
    expect(result).toMatchObject({ ok: true, entriesChecked: 20, checkpointsChecked: 1 });
  });

  it('writes a checkpoint on its schedule', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'Date', 'setTimeout', 'clearTimeout'] });
    try {
      const stop = checkpoints.start(300_000);
      await jest.advanceTimersByTimeAsync(299_000);
      const none = await db.owner.db.selectFrom('audit_checkpoints').select('seq').execute();
      await jest.advanceTimersByTimeAsync(1_000);
      await stop();
      const rows = await db.owner.db.selectFrom('audit_checkpoints').select('seq').execute();
      expect({ before: none.length, after: rows }).toEqual({ before: 0, after: [{ seq: 20 }] });
    } finally {
      jest.useRealTimers();
    }
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { closeServices, createServices } from '../src/compose';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/observability/logger';
import { createMetrics } from '../src/observability/metrics';
import { openDatabase } from '../src/store/database';
import { migrateToLatest } from '../src/store/migrate';
import { initKeystore } from '../src/vault/configured-key-provider';
import { BENCH_ENV, ENTRY, freePort, prepareDatabase, startProcess } from './environment';
import { TRANSACTION } from './pregenerate';
import { seedParties, seedTokens } from './seed';

/**
 * The measured inputs of the capacity model (docs/scaling.md): bytes per token, card and audit
 * entry on disk, rows written and WAL generated per cryptogram issuance and per detokenization.
 * Seeds N tokens by the bench's bulk path, then issues and detokenizes M cryptograms in-process
 * through the payments service (the code the endpoints run, without HTTP).
 *   pnpm --filter @opentsp/tsp exec tsx bench/capacity.ts [tokens=20000] [detokenizations=5000]
 */
const TOKENS = Number(process.argv[2] ?? 20_000);
const OPERATIONS = Number(process.argv[3] ?? 5_000);
const TABLES = ['tokens', 'cards', 'token_numbers', 'data_keys', 'audit_entries', 'cryptogram_issuances', 'risk_velocity', 'risk_decisions', 'risk_card_state', 'idempotency_keys'];

async function main(): Promise<void> {
  const keysDir = mkdtempSync(path.join(tmpdir(), 'opentsp-capacity-keys-'));
  const keystore = { OPENTSP_KEYSTORE_PATH: path.join(keysDir, 'keystore.jwe'), OPENTSP_KEYSTORE_PASSPHRASE: 'bench-only-passphrase-not-secret' };
  const database = await prepareDatabase();
  const issuerSim = await startProcess(ENTRY.issuerSim, [], { PORT: String(await freePort()) }, '/healthz');
  try {
    await initKeystore(keystore.OPENTSP_KEYSTORE_PATH, keystore.OPENTSP_KEYSTORE_PASSPHRASE);
    const config = loadConfig({ ...BENCH_ENV, ...keystore, DATABASE_URL: database.url, OPENTSP_MODE: 'sandbox' });
    const handle = openDatabase({ connectionString: database.url, poolSize: 16 });
    await migrateToLatest(handle.db);
    const services = await createServices({ config, database: handle, logger: createLogger({ level: 'warn' }), metrics: createMetrics() });
    const db = handle.db;
    const parties = await seedParties(services, issuerSim.url);
    const tokens = await seedTokens(services, parties, TOKENS, () => undefined);

    const stats = async () => {
      const { rows } = await sql<{ table: string; ins: number; upd: number; del: number }>`
        select relname as table, n_tup_ins::int as ins, n_tup_upd::int as upd, n_tup_del::int as del
        from pg_stat_user_tables where schemaname = 'public'`.execute(db);
      // Partitions report their own counters: sum them under their table.
      const byTable = new Map<string, { ins: number; upd: number; del: number }>();
      for (const r of rows) {
        const table = r.table.replace(/_(y\d{4}m\d{2}|default)$/, '');
        const t = byTable.get(table) ?? { ins: 0, upd: 0, del: 0 };
        byTable.set(table, { ins: t.ins + r.ins, upd: t.upd + r.upd, del: t.del + r.del });
      }
      return byTable;
    };
    const lsn = async () => (await sql<{ lsn: string }>`select pg_current_wal_lsn()::text as lsn`.execute(db)).rows[0]!.lsn;
    const walBytes = async (from: string) => Number((await sql<{ n: string }>`select pg_wal_lsn_diff(pg_current_wal_lsn(), ${from}::pg_lsn)::text as n`.execute(db)).rows[0]!.n);
    const settle = () => new Promise((r) => setTimeout(r, 1_500)); // pg_stat counters are flushed per transaction end, lazily
    const delta = (before: Map<string, { ins: number; upd: number; del: number }>, after: typeof before, per: number) =>
      Object.fromEntries(
        [...after.entries()]
          .map(([table, a]) => {
            const b = before.get(table) ?? { ins: 0, upd: 0, del: 0 };
            return [table, { inserts: (a.ins - b.ins) / per, updates: (a.upd - b.upd) / per, deletes: (a.del - b.del) / per }] as const;
          })
          .filter(([, d]) => d.inserts + d.updates + d.deletes > 0),
      );

    // Issuance: one cryptogram per detokenization to come.
    const wallet = { clientId: parties.wallet.clientId, role: 'wallet' as const, scopes: ['tokens:cryptogram' as const], trid: parties.wallet.trid };
    await settle();
    let before = await stats();
    let start = await lsn();
    const credentials: Array<Record<string, unknown>> = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < OPERATIONS) {
          const token = tokens[next++ % tokens.length]!;
          const c = await services.payments.createPaymentCredentials(wallet, token.tokenRef, TRANSACTION);
          credentials.push({ tokenPan: c.tokenPan, tokenExpiry: c.tokenExpiry, cryptogram: c.cryptogram, atc: c.atc });
        }
      }),
    );
    const issuanceWal = (await walBytes(start)) / OPERATIONS;
    await settle();
    const issuanceWrites = delta(before, await stats(), OPERATIONS);

    // Detokenization.
    const acquirer = { clientId: parties.acquirer.clientId, role: 'acquirer' as const, scopes: ['detokenize' as const] };
    before = await stats();
    start = await lsn();
    let done = 0;
    let failed = 0;
    next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < credentials.length) {
          const c = credentials[next++]!;
          try {
            await services.payments.detokenize(acquirer, { ...c, transaction: TRANSACTION } as never);
            done += 1;
          } catch (err) {
            if (failed++ === 0) process.stderr.write(`first detokenize error: ${(err as Error).message}\n`);
          }
        }
      }),
    );
    const detokenizeWal = (await walBytes(start)) / Math.max(1, done);
    await settle();
    const detokenizeWrites = delta(before, await stats(), Math.max(1, done));

    await sql`analyze`.execute(db);
    const { rows: sizes } = await sql<{ table: string; rows: string; total: string; heap: string; avg_row: string | null }>`
      select t as table, (select reltuples::bigint from pg_class where oid = to_regclass(t))::text as rows,
        pg_total_relation_size(to_regclass(t))::text as total, pg_relation_size(to_regclass(t))::text as heap, null as avg_row
      from unnest(${TABLES}::text[]) as t where to_regclass(t) is not null`.execute(db);
    const measured: Record<string, unknown> = {};
    for (const s of sizes) {
      // Partitioned tables: sizes and counts summed over the partitions.
      const { rows } = await sql<{ n: string; total: string; avg_row: string | null }>`
        select count(*)::text as n,
          (select coalesce(sum(pg_total_relation_size(r)), 0)::text from (select ${s.table}::regclass as r union all
             select inhrelid::regclass from pg_inherits where inhparent = ${s.table}::regclass) p) as total,
          avg(pg_column_size(x.*))::int::text as avg_row
        from ${sql.table(s.table)} x`.execute(db);
      const n = Number(rows[0]!.n);
      measured[s.table] = { rows: n, totalBytes: Number(rows[0]!.total), bytesPerRow: n ? Math.round(Number(rows[0]!.total) / n) : null, avgTupleBytes: Number(rows[0]!.avg_row ?? 0) };
    }
    const version = (await sql<{ v: string }>`select current_setting('server_version') as v`.execute(db)).rows[0]!.v;
    process.stdout.write(
      `${JSON.stringify({ postgres: version, tokens: tokens.length, operations: OPERATIONS, detokenized: done, failed, issuanceWalBytes: Math.round(issuanceWal), detokenizeWalBytes: Math.round(detokenizeWal), issuanceWrites, detokenizeWrites, tables: measured }, null, 2)}\n`,
    );
    await closeServices(services);
    await handle.close();
  } finally {
    await issuerSim.stop();
    await database.close();
    rmSync(keysDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`capacity failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);

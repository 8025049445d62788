import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { LoadResult } from './load';

const SCRIPT = path.join(__dirname, 'durable-floor.sql');
const SETUP = path.join(__dirname, 'durable-floor-setup.sql');

/** The server settings that bound a durable commit (reported with every run). */
export const POSTGRES_SETTINGS = ['shared_buffers', 'wal_buffers', 'commit_delay', 'commit_siblings', 'max_connections', 'synchronous_commit', 'fsync'];

export async function readPostgresSettings(url: string): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string; value: string }>(
      'select name, current_setting(name) as value from pg_settings where name = any($1) order by name',
      [POSTGRES_SETTINGS],
    );
    return Object.fromEntries(rows.map((r) => [r.name, r.value]));
  } finally {
    await client.end();
  }
}

/** pgbench's path (`PGBENCH=/nonexistent` measures the `pg` fallback). */
const PGBENCH = process.env.PGBENCH ?? 'pgbench';

function hasPgbench(): boolean {
  try {
    execFileSync(PGBENCH, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * The durable floor: the least any durable detokenization can cost on this server — read one
 * row by primary key, update it, insert one audit row, commit (`synchronous_commit` on) —
 * over `connections` connections (as many as the TSP cluster holds), same server, same run.
 * Driven by `pgbench -M prepared` (bench/durable-floor.sql) when pgbench is on the PATH, else
 * by the same transaction through `pg` with named prepared statements; the row says which.
 */
export async function measureDurableFloor(
  url: string,
  connections: number,
  seconds: number,
  rows = 100_000,
  /** Runs once the tables are filled, just before the load (db-cost reads its counters here). */
  afterSetup?: () => Promise<void>,
): Promise<LoadResult> {
  const setup = new pg.Client({ connectionString: url });
  await setup.connect();
  try {
    await setup.query(readFileSync(SETUP, 'utf8').replaceAll(':rows', String(rows)));
  } finally {
    await setup.end();
  }
  await afterSetup?.();
  try {
    return hasPgbench() ? await viaPgbench(url, connections, seconds, rows) : await viaPg(url, connections, seconds, rows);
  } finally {
    const drop = new pg.Client({ connectionString: url });
    await drop.connect();
    await drop.query('drop table if exists durable_floor_rows, durable_floor_audit');
    await drop.end();
  }
}

function percentiles(latenciesMs: number[]): Pick<LoadResult, 'p50' | 'p95' | 'p99'> {
  latenciesMs.sort((a, b) => a - b);
  const at = (q: number) => Math.round((latenciesMs[Math.min(latenciesMs.length - 1, Math.floor(q * latenciesMs.length))] ?? 0) * 10) / 10;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

async function viaPgbench(url: string, connections: number, seconds: number, rows: number): Promise<LoadResult> {
  const logDir = mkdtempSync(path.join(tmpdir(), 'opentsp-durable-floor-'));
  try {
    const args = ['-n', '-M', 'prepared', '-c', String(connections), '-j', '2', '-T', String(seconds), '-D', `rows=${rows}`, '-f', SCRIPT, '-l', '--log-prefix', path.join(logDir, 'tx'), url];
    const output = await new Promise<string>((resolve, reject) =>
      execFile(PGBENCH, args, { maxBuffer: 16 * 2 ** 20 }, (err, stdout, stderr) => (err ? reject(new Error(`pgbench: ${stderr || err.message}`)) : resolve(stdout + stderr))),
    );
    // Per-transaction log lines: client_id transaction_no time_us script_no time_epoch time_us
    const latencies: number[] = [];
    let failed = 0;
    for (const file of readdirSync(logDir)) {
      for (const line of readFileSync(path.join(logDir, file), 'utf8').split('\n')) {
        const fields = line.split(' ');
        if (fields.length < 3) continue;
        if (fields[2] === 'failed' || fields[2] === 'skipped') failed += 1;
        else latencies.push(Number(fields[2]) / 1000);
      }
    }
    const tps = Number(/tps = ([\d.]+) \(without/.exec(output)?.[1] ?? latencies.length / seconds);
    return {
      name: `floor: durable (pgbench -M prepared, ${connections} connections)`,
      connections,
      durationSeconds: seconds,
      requests: latencies.length,
      rps: Math.round(tps),
      ...percentiles(latencies),
      errors: failed,
      non2xx: 0,
    };
  } finally {
    rmSync(logDir, { recursive: true, force: true });
  }
}

/** The statements of durable-floor.sql between BEGIN and END, `:id` as `$1`. */
function transactionStatements(): string[] {
  const body = readFileSync(SCRIPT, 'utf8')
    .split('\n')
    .filter((line) => !line.startsWith('--') && !line.startsWith('\\'))
    .join('\n');
  return body
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s && !/^(BEGIN|END)$/i.test(s))
    .map((s) => s.replaceAll(':id', '$1'));
}

async function viaPg(url: string, connections: number, seconds: number, rows: number): Promise<LoadResult> {
  const statements = transactionStatements();
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + seconds * 1000;
  const worker = async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      while (performance.now() < deadline) {
        const id = 1 + Math.floor(Math.random() * rows);
        const start = performance.now();
        try {
          await client.query('BEGIN');
          for (const [i, text] of statements.entries()) {
            await client.query({ name: `durable_floor_${i}`, text, values: text.includes('$1') ? [id] : [] });
          }
          await client.query('COMMIT');
          latencies.push(performance.now() - start);
        } catch {
          errors += 1;
          await client.query('ROLLBACK').catch(() => undefined);
        }
      }
    } finally {
      await client.end();
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  return {
    name: `floor: durable (pg, prepared statements, ${connections} connections)`,
    connections,
    durationSeconds: seconds,
    requests: latencies.length,
    rps: Math.round(latencies.length / seconds),
    ...percentiles(latencies),
    errors,
    non2xx: 0,
  };
}

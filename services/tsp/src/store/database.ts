import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { guardPoolClients } from './database-errors';
import type { Database } from './schema';

// Postgres `bigint` (int8) arrives as a string by default; our bigints are counters and
// sequence numbers that fit in a JS number, so parse them as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly pool: pg.Pool;
  /** Checks the database answers within `timeoutMs`; used by `/readyz`. */
  ping(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  connectionString: string;
  poolSize?: number;
  /** A statement that runs longer than this is cancelled by the server. */
  statementTimeoutMs?: number;
  /** How long to wait for a pool connection before failing the request. */
  connectionTimeoutMs?: number;
  /**
   * Client-side bound on one query (default: statement timeout + 2 s). The server's
   * statement_timeout cannot help when the network swallows packets; this can.
   */
  queryTimeoutMs?: number;
  applicationName?: string;
  /** Every session read-only (`default_transaction_read_only`): the read replica's pool. */
  readOnly?: boolean;
}

/**
 * Opens the pool and the Kysely instance over it. Only the store layer talks to Kysely; the
 * domain receives repositories.
 */
export function openDatabase(options: DatabaseOptions): DatabaseHandle {
  const statementTimeoutMs = options.statementTimeoutMs ?? 10_000;
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
    statement_timeout: statementTimeoutMs,
    query_timeout: options.queryTimeoutMs ?? statementTimeoutMs + 2_000,
    application_name: options.applicationName ?? 'opentsp',
    ...(options.readOnly ? { options: '-c default_transaction_read_only=on' } : {}),
  });
  // An idle client that loses its connection (server restart) must not crash the process;
  // the pool drops it and the next checkout reconnects.
  pool.on('error', () => undefined);
  guardPoolClients(pool); // a connection lost or silent mid-query must not crash or stall the process
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  let closed = false;
  return {
    db,
    pool,
    async ping(timeoutMs = 2_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('database ping timed out')), timeoutMs);
      });
      try {
        await Promise.race([sql`select 1`.execute(db), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}

import { UnavailableError } from '../errors';

/**
 * Recognises errors that mean "the database cannot be reached right now" — as opposed to a bug
 * (bad SQL, constraint violation) — so the HTTP edge answers 503 `service_unavailable` with
 * `Retry-After` and the caller retries, instead of a 500 that looks like a defect.
 *
 * Why by code and message: `pg` raises plain `Error`s. Server-side failures carry a SQLSTATE
 * (`code`), socket failures a Node errno (`code`), and pool / client state failures only a
 * message, so all three are checked. The `cause` chain and `AggregateError#errors` (Node's
 * happy-eyeballs connect) are followed.
 */

/** SQLSTATE classes / codes that mean the server is unreachable, restarting or overloaded. */
const SQLSTATE_UNAVAILABLE = new Set([
  '57P01', // admin_shutdown: the server is shutting down or the connection was terminated
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up / in recovery
  '57P05', // idle_session_timeout
  '53300', // too_many_connections
  '53400', // configuration_limit_exceeded
  '57014', // query_canceled: our statement_timeout fired (overload), safe to retry
  // read_only_sql_transaction: a write reached a server in recovery — a primary being demoted
  // during a failover or switchover, before the router cut its sessions. Nothing was written.
  '25006',
]);

/** Node socket errors on the way to the database. */
const ERRNO_UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);

/** pg / pg-pool messages that carry no code. */
const MESSAGE_UNAVAILABLE = [
  /^timeout exceeded when trying to connect/i, // pg-pool: no connection within connectionTimeoutMillis
  /^connection terminated/i, // pg: socket closed under a client ("unexpectedly", "due to connection timeout")
  /is not queryable/i, // pg: client already errored or closed
  /^cannot use a pool after calling end/i, // shutting down
  /^database ping timed out/i, // store/database.ts ping
  /^query read timeout/i, // pg: no answer within query_timeout (a connection whose packets vanish)
];

/** True when `err` (or anything in its `cause` chain) means the database is unavailable. */
export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (depth > 5 || typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string') {
    if (SQLSTATE_UNAVAILABLE.has(e.code) || e.code.startsWith('08') || ERRNO_UNAVAILABLE.has(e.code)) return true;
  }
  if (typeof e.message === 'string' && MESSAGE_UNAVAILABLE.some((re) => re.test(e.message as string))) return true;
  if (Array.isArray(e.errors) && e.errors.some((inner) => isDatabaseUnavailable(inner, depth + 1))) return true;
  return e.cause !== undefined && isDatabaseUnavailable(e.cause, depth + 1);
}

/**
 * The caller-facing form of a database outage: never the driver's message (it may name hosts
 * or SQL), only the stable code.
 */
export function databaseUnavailableError(): UnavailableError {
  return new UnavailableError('service_unavailable', 'The service is temporarily unavailable; retry later.');
}

/** Seconds a client should wait before retrying after a database outage (RFC 9110 §10.2.3). */
export const DATABASE_RETRY_AFTER_SECONDS = 2;

/** The parts of a `pg` client and pool the guard needs (structural so this file does not import `pg`). */
interface GuardedClient {
  on(event: 'error', listener: (err: Error) => void): unknown;
  query: (...args: never[]) => unknown;
  connection?: { stream?: { destroy(): void } };
}
interface PoolEvents {
  on(event: 'connect', listener: (client: GuardedClient) => void): unknown;
}

/**
 * Keeps a lost connection from crashing the process, and a silent one from being reused.
 *
 * - pg-pool removes its own `error` listener from a client while it is checked out; if the
 *   socket dies mid-query, `pg` fails the query (the request gets its 503) *and* emits `error`
 *   on the client — with no listener, Node turns that into an uncaught exception and the whole
 *   TSP exits. A permanent no-op listener per client is enough: the failed query already
 *   carries the error, and the pool discards the broken client when it is released.
 * - When a query outlives `query_timeout` (the network swallowed its packets, so the server's
 *   statement_timeout cannot arrive either), `pg` fails the query but keeps the connection,
 *   whose next queries would queue behind the lost one. Destroying its socket makes the
 *   client unqueryable, so the pool drops it on release and the next checkout reconnects.
 */
export function guardPoolClients(pool: PoolEvents): void {
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    client.query = ((...args: unknown[]) => {
      const result = query(...args);
      if (result instanceof Promise) {
        result.catch((err: unknown) => {
          if (err instanceof Error && /^query read timeout/i.test(err.message)) client.connection?.stream?.destroy();
        });
      }
      return result;
    }) as GuardedClient['query'];
  });
}

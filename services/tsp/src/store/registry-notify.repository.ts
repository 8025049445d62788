import pg from 'pg';
import type { DatabaseHandle } from './database';

/** The NOTIFY channel the `opentsp_registry_notify` trigger writes to (migration 0004). */
export const REGISTRY_CHANNEL = 'opentsp_registry';

/** A change announced by the trigger: which client or issuer row changed. */
export interface RegistryChange {
  kind: 'client' | 'issuer';
  id: string;
}

export interface RegistryListener {
  /** Stops listening and closes the connection. */
  close(): Promise<void>;
}

export interface RegistryListenerEvents {
  onChange(change: RegistryChange): void;
  /** Called after every (re)connection: changes may have been missed while disconnected. */
  onConnected(): void;
  onError(err: unknown): void;
}

/**
 * Listens for registry changes on a dedicated connection (LISTEN needs one that is not given
 * back to the pool). Reconnects with backoff; never keeps the process alive on its own (the
 * socket and timers are unref'd), so a stopped server or a finished test exits normally.
 */
export function listenRegistryChanges(database: DatabaseHandle, events: RegistryListenerEvents): RegistryListener {
  // Reconnects are scheduled from timers; nothing here may throw into them.
  let client: pg.Client | undefined;
  let closed = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let backoffMs = 250;

  // Once the service's pool is closed (shutdown, a finished test) the listener stops for good.
  const stopped = () => closed || database.pool.ending || database.pool.ended;

  const scheduleReconnect = () => {
    if (stopped() || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void connect();
    }, backoffMs);
    retryTimer.unref();
    backoffMs = Math.min(backoffMs * 2, 30_000);
  };

  const connect = async () => {
    if (stopped()) return;
    let connection: pg.Client;
    try {
      connection = new pg.Client({ ...database.pool.options, application_name: 'opentsp-registry-listener' });
    } catch (err) {
      events.onError(err);
      return;
    }
    client = connection;
    connection.on('error', (err) => {
      events.onError(err);
      void connection.end().catch(() => undefined);
    });
    connection.on('end', () => {
      if (client === connection) client = undefined;
      scheduleReconnect();
    });
    connection.on('notification', (message) => {
      const [kind, id] = (message.payload ?? '').split(':');
      if ((kind === 'client' || kind === 'issuer') && id) events.onChange({ kind, id });
    });
    try {
      await connection.connect();
      unrefSocket(connection);
      await connection.query(`LISTEN ${REGISTRY_CHANNEL}`);
      if (stopped()) {
        await connection.end();
        return;
      }
      backoffMs = 250;
      events.onConnected();
    } catch (err) {
      events.onError(err);
      if (client === connection) client = undefined;
      await connection.end().catch(() => undefined);
      scheduleReconnect();
    }
  };

  void connect();
  return {
    async close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      await client?.end().catch(() => undefined);
    },
  };
}

function unrefSocket(connection: pg.Client): void {
  const stream = (connection as unknown as { connection?: { stream?: { unref?: () => void } } }).connection?.stream;
  stream?.unref?.();
}

/**
 * Calls `callback` once when the database handle's pool is being closed (service shutdown, a
 * finished test), so background work tied to it (listener, timers) stops with it.
 * Returns a function that detaches the hook.
 */
export function onDatabaseClosed(database: DatabaseHandle, callback: () => void): () => void {
  const pool = database.pool;
  const check = () => {
    if (!pool.ending && !pool.ended) return;
    pool.off('remove', check);
    callback();
  };
  pool.on('remove', check);
  return () => pool.off('remove', check);
}

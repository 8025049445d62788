import type { Logger } from '../../observability/logger';
import { clientsRepository } from '../../store/clients.repository';
import type { DatabaseHandle } from '../../store/database';
import { issuersRepository } from '../../store/issuers.repository';
import { listenRegistryChanges, type RegistryChange } from '../../store/registry-notify.repository';
import { clientFromRow, issuerFromRow } from './records';
import type { RegistryCache } from './registry';

export interface RegistrySync {
  /** Reloads everything from the database now. */
  refresh(): Promise<void>;
  /** Reloads one client or issuer (after a change made in this process). */
  reload(change: RegistryChange): Promise<void>;
  close(): Promise<void>;
}

/**
 * Keeps a process's `RegistryCache` in step with the database: a full load at start-up,
 * then per-row reloads on every NOTIFY `opentsp_registry` (sent by a trigger on every change,
 * from any process or the CLI), a full reload after each (re)connection of the listener, and
 * a periodic full reload as a fallback should a notification be lost.
 *
 * A failed initial load does not stop start-up (the database may come up later; `/readyz`
 * reports it); until a load succeeds the authenticator refuses every access token.
 */
export async function startRegistrySync(
  database: DatabaseHandle,
  cache: RegistryCache,
  logger: Logger,
  options: { refreshIntervalMs: number; listen: boolean },
): Promise<RegistrySync> {
  const db = database.db;
  let refreshing: Promise<void> | undefined;
  // Changes announced while a full refresh runs: its snapshot may predate them, so they are
  // reloaded again once it has been applied.
  let changedDuringRefresh: RegistryChange[] | undefined;

  const refresh = () =>
    (refreshing ??= (async () => {
      const changed: RegistryChange[] = [];
      changedDuringRefresh = changed;
      try {
        const [clients, issuers] = await Promise.all([clientsRepository.loadAll(db), issuersRepository.load(db)]);
        cache.replaceAll(clients.map(clientFromRow), issuers.map(issuerFromRow));
      } finally {
        changedDuringRefresh = undefined;
        refreshing = undefined;
      }
      for (const change of changed) await reload(change);
    })());

  const reload = async (change: RegistryChange): Promise<void> => {
    changedDuringRefresh?.push(change);
    if (change.kind === 'client') {
      const row = await clientsRepository.get(db, change.id);
      cache.putClient(change.id, row ? clientFromRow(row) : undefined);
    } else {
      const [row] = await issuersRepository.load(db, [change.id]);
      cache.putIssuer(change.id, row ? issuerFromRow(row) : undefined);
    }
  };

  const warn = (err: unknown, what: string) => logger.warn({ err }, `identity registry: ${what} failed; will retry`);

  await refresh().catch((err: unknown) => warn(err, 'initial load'));
  const listener = options.listen
    ? listenRegistryChanges(database, {
        onChange: (change) => void reload(change).catch((err: unknown) => warn(err, 'reload')),
        onConnected: () => void refresh().catch((err: unknown) => warn(err, 'refresh')),
        onError: (err) => logger.debug({ err }, 'identity registry listener error'),
      })
    : undefined;
  const timer = setInterval(() => void refresh().catch((err: unknown) => warn(err, 'periodic refresh')), options.refreshIntervalMs);
  timer.unref();

  return {
    refresh,
    reload,
    async close() {
      clearInterval(timer);
      await listener?.close();
      await refreshing?.catch(() => undefined);
    },
  };
}

import { type Selectable, sql } from 'kysely';
import type { ClientsTable } from './clients.table';
import type { Executor } from './transaction';

export type ClientRow = Selectable<ClientsTable>;

export type NewClientRow = Omit<ClientRow, 'created_at' | 'updated_at'>;

const JSON_COLUMNS = ['scopes', 'allowed_channels', 'merchant_ids', 'jwks'] as const;

/** Storage of OAuth2 clients and of the `jti`s of their client assertions. */
export const clientsRepository = {
  /** The next TRID: the 3-digit TSP code + 8 digits from a sequence (unique per TSP). */
  async nextTrid(tx: Executor, tspCode: string): Promise<string> {
    const result = await sql<{ n: number }>`select nextval('client_trid_seq') as n`.execute(tx);
    return tspCode + String(result.rows[0]?.n ?? 0).padStart(8, '0');
  },

  /** Inserts a client; `createdAt` has millisecond precision so list cursors round-trip exactly. */
  async insert(tx: Executor, row: NewClientRow, createdAt: Date): Promise<void> {
    const values: Record<string, unknown> = { ...row, created_at: createdAt, updated_at: createdAt };
    for (const column of JSON_COLUMNS) {
      const value = row[column];
      values[column] = value === null ? null : JSON.stringify(value);
    }
    await tx.insertInto('clients').values(values as never).execute();
  },

  async get(executor: Executor, id: string): Promise<ClientRow | undefined> {
    return executor.selectFrom('clients').selectAll().where('id', '=', id).executeTakeFirst();
  },

  /** Locks the client's row for the rest of the transaction (status and secret changes). */
  async getForUpdate(tx: Executor, id: string): Promise<ClientRow | undefined> {
    return tx.selectFrom('clients').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  },

  async loadAll(executor: Executor): Promise<ClientRow[]> {
    return executor.selectFrom('clients').selectAll().execute();
  },

  async setStatus(tx: Executor, id: string, status: ClientRow['status']): Promise<void> {
    await tx.updateTable('clients').set({ status, updated_at: new Date() }).where('id', '=', id).execute();
  },

  async setSecrets(
    tx: Executor,
    id: string,
    secrets: { secretHash: string; previousSecretHash: string | null; previousSecretExpiresAt: Date | null },
  ): Promise<void> {
    await tx
      .updateTable('clients')
      .set({
        secret_hash: secrets.secretHash,
        previous_secret_hash: secrets.previousSecretHash,
        previous_secret_expires_at: secrets.previousSecretExpiresAt,
        updated_at: new Date(),
      })
      .where('id', '=', id)
      .execute();
  },

  /** One page in `(created_at, id)` order after the given position, optionally filtered. */
  async page(
    executor: Executor,
    options: { role?: string; status?: string; after?: { at: string; id: string }; limit: number },
  ): Promise<ClientRow[]> {
    let query = executor.selectFrom('clients').selectAll().orderBy('created_at').orderBy('id').limit(options.limit);
    if (options.role) query = query.where('role', '=', options.role as ClientRow['role']);
    if (options.status) query = query.where('status', '=', options.status as ClientRow['status']);
    if (options.after) {
      const { at, id } = options.after;
      query = query.where(sql<boolean>`(created_at, id) > (${at}::timestamptz, ${id})`);
    }
    return query.execute();
  },

  /** Active token requestors in `(name, trid)` order after the given position. */
  async requestorPage(executor: Executor, options: { after?: { name: string; trid: string }; limit: number }): Promise<ClientRow[]> {
    let query = executor
      .selectFrom('clients')
      .selectAll()
      .where('role', 'in', ['wallet', 'cof_merchant'])
      .where('status', '=', 'active')
      .orderBy('name')
      .orderBy('trid')
      .limit(options.limit);
    if (options.after) {
      const { name, trid } = options.after;
      query = query.where(sql<boolean>`(name, trid) > (${name}, ${trid})`);
    }
    return query.execute();
  },

  /**
   * Records a client assertion's `jti` until `expiresAt`; false when it was already used
   * (RFC 7523 §3 item 7: the authorization server may reject a replayed `jti`).
   */
  async rememberJti(executor: Executor, clientId: string, jti: string, expiresAt: Date): Promise<boolean> {
    const inserted = await executor
      .insertInto('client_assertion_jtis')
      .values({ client_id: clientId, jti, expires_at: expiresAt })
      .onConflict((oc) => oc.columns(['client_id', 'jti']).doNothing())
      .returning('jti')
      .executeTakeFirst();
    return inserted !== undefined;
  },

  async purgeExpiredJtis(executor: Executor): Promise<number> {
    const result = await executor.deleteFrom('client_assertion_jtis').where('expires_at', '<', new Date()).executeTakeFirst();
    return Number(result.numDeletedRows);
  },
};

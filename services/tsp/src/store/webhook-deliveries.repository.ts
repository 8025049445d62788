import { sql } from 'kysely';
import type { CursorPosition } from './pagination';
import type { WebhookDeliveryStatus, WebhookRecipientType } from './webhook-deliveries.table';
import type { Executor } from './transaction';
import { JOB_QUEUE_SCHEMA } from './job-queue.repository';

export interface StoredRecipient {
  type: WebhookRecipientType;
  id: string;
}

export interface NewOutboxEvent {
  id: string;
  type: string;
  tokenRef: string;
  createdAt: Date;
  body: string;
  deliveries: ReadonlyArray<{ id: string; recipient: StoredRecipient }>;
}

/** A delivery job queued with its event (graphile-worker job, keyed by the delivery id). */
export interface OutboxJob {
  task: string;
  payload: Record<string, unknown>;
  queue: string;
  key: string;
}

/** A delivery with what an attempt needs from its event. */
export interface DeliveryForAttempt {
  pk: number;
  id: string;
  recipient: StoredRecipient;
  tokenRef: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  nextAttemptAt: Date | null;
  eventId: string;
  eventType: string;
  body: string;
}

export interface DeliveryRecord {
  id: string;
  eventId: string;
  eventType: string;
  recipient: StoredRecipient;
  tokenRef: string;
  url: string | null;
  status: WebhookDeliveryStatus;
  attempts: number;
  lastAttemptAt: Date | null;
  nextAttemptAt: Date | null;
  lastResponseStatus: number | null;
  lastError: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
}

/** The outcome of one attempt (or of a redelivery), written over the delivery's row. */
export interface DeliveryUpdate {
  status: WebhookDeliveryStatus;
  attempts: number;
  nextAttemptAt: Date | null;
  lastAttemptAt: Date | null;
  lastResponseStatus: number | null;
  lastError: string | null;
  url: string | null;
  deliveredAt: Date | null;
}

export interface DeliveryFilter {
  status?: WebhookDeliveryStatus;
  eventType?: string;
  clientId?: string;
}

function selectRecords(executor: Executor) {
  return executor
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_events as e', 'e.pk', 'd.event_pk')
    .select([
      'd.id',
      'e.id as event_id',
      'e.type as event_type',
      'd.recipient_type',
      'd.recipient_id',
      'd.token_ref',
      'd.url',
      'd.status',
      'd.attempts',
      'd.last_attempt_at',
      'd.next_attempt_at',
      'd.last_response_status',
      'd.last_error',
      'd.created_at',
      'd.delivered_at',
    ]);
}

type RecordRow = Awaited<ReturnType<ReturnType<typeof selectRecords>['executeTakeFirstOrThrow']>>;

function toRecord(row: RecordRow): DeliveryRecord {
  return {
    id: row.id,
    eventId: row.event_id,
    eventType: row.event_type,
    recipient: { type: row.recipient_type, id: row.recipient_id },
    tokenRef: row.token_ref,
    url: row.url,
    status: row.status,
    attempts: row.attempts,
    lastAttemptAt: row.last_attempt_at,
    nextAttemptAt: row.next_attempt_at,
    lastResponseStatus: row.last_response_status,
    lastError: row.last_error,
    createdAt: row.created_at,
    deliveredAt: row.delivered_at,
  };
}

/**
 * Storage of the webhook outbox. Writes take the caller's executor (usually its transaction);
 * ordering within a stream (recipient + token) is by `pk`.
 */
export const webhookDeliveriesRepository = {
  /** Inserts an event and its deliveries (all `pending`, in line now). */
  /**
   * The event, its deliveries and one delivery job per delivery (graphile-worker `add_job`,
   * job key = delivery id) in ONE statement: the outbox write of a token change was four round
   * trips per event (event, deliveries, a job per recipient), a quarter of provisioning's. Same
   * rows as {@link insertEvent} followed by `jobQueueRepository.add` per delivery; the jobs
   * commit or roll back with the caller's transaction.
   */
  async insertEventWithJobs(tx: Executor, event: NewOutboxEvent, jobs: ReadonlyArray<OutboxJob>): Promise<void> {
    const d = event.deliveries;
    await sql`with ev as (
        insert into webhook_events (id, type, token_ref, created_at, body)
        values (${event.id}, ${event.type}, ${event.tokenRef}, ${event.createdAt}, ${event.body})
        returning pk
      ), dl as (
        insert into webhook_deliveries (id, event_pk, recipient_type, recipient_id, token_ref, status, attempts, next_attempt_at, created_at)
        select r.id, ev.pk, r.recipient_type, r.recipient_id, ${event.tokenRef}, 'pending', 0, ${event.createdAt}::timestamptz, ${event.createdAt}::timestamptz
        from ev cross join unnest(${d.map((x) => x.id)}::text[], ${d.map((x) => x.recipient.type)}::text[], ${d.map((x) => x.recipient.id)}::text[])
          with ordinality as r(id, recipient_type, recipient_id, n)
        order by r.n
        returning 1
      )
      select ${sql.id(JOB_QUEUE_SCHEMA)}.add_job(
        identifier => j.task, payload => j.payload::json, queue_name => j.queue, job_key => j.key, job_key_mode => 'replace'
      )
      from unnest(${jobs.map((j) => j.task)}::text[], ${jobs.map((j) => JSON.stringify(j.payload))}::text[], ${jobs.map((j) => j.queue)}::text[], ${jobs.map((j) => j.key)}::text[])
        with ordinality as j(task, payload, queue, key, n)
      order by j.n`.execute(tx);
  },

  async insertEvent(tx: Executor, event: NewOutboxEvent): Promise<void> {
    const { pk } = await tx
      .insertInto('webhook_events')
      .values({ id: event.id, type: event.type, token_ref: event.tokenRef, created_at: event.createdAt, body: event.body })
      .returning('pk')
      .executeTakeFirstOrThrow();
    if (event.deliveries.length === 0) return;
    await tx
      .insertInto('webhook_deliveries')
      .values(
        event.deliveries.map((d) => ({
          id: d.id,
          event_pk: pk,
          recipient_type: d.recipient.type,
          recipient_id: d.recipient.id,
          token_ref: event.tokenRef,
          status: 'pending' as const,
          attempts: 0,
          next_attempt_at: event.createdAt,
          created_at: event.createdAt,
        })),
      )
      .execute();
  },

  async findForAttempt(executor: Executor, id: string): Promise<DeliveryForAttempt | undefined> {
    const row = await executor
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_events as e', 'e.pk', 'd.event_pk')
      .select(['d.pk', 'd.id', 'd.recipient_type', 'd.recipient_id', 'd.token_ref', 'd.status', 'd.attempts', 'd.next_attempt_at'])
      .select(['e.id as event_id', 'e.type as event_type', 'e.body'])
      .where('d.id', '=', id)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      pk: row.pk,
      id: row.id,
      recipient: { type: row.recipient_type, id: row.recipient_id },
      tokenRef: row.token_ref,
      status: row.status,
      attempts: row.attempts,
      nextAttemptAt: row.next_attempt_at,
      eventId: row.event_id,
      eventType: row.event_type,
      body: row.body,
    };
  },

  /** The oldest in-line delivery of a stream (optionally only one older than `beforePk`). */
  async oldestInLine(
    executor: Executor,
    stream: { recipient: StoredRecipient; tokenRef: string },
    beforePk?: number,
  ): Promise<{ id: string; pk: number } | undefined> {
    let query = executor
      .selectFrom('webhook_deliveries')
      .select(['id', 'pk'])
      .where('recipient_type', '=', stream.recipient.type)
      .where('recipient_id', '=', stream.recipient.id)
      .where('token_ref', '=', stream.tokenRef)
      .where('next_attempt_at', 'is not', null);
    if (beforePk !== undefined) query = query.where('pk', '<', beforePk);
    return query.orderBy('pk').limit(1).executeTakeFirst();
  },

  /**
   * Writes an outcome if the row still has `expectedAttempts` (a redelivery in between resets
   * the count, and then this stale outcome must not overwrite it). Returns whether it wrote.
   */
  async update(executor: Executor, id: string, expectedAttempts: number, update: DeliveryUpdate): Promise<boolean> {
    const result = await executor
      .updateTable('webhook_deliveries')
      .set({
        status: update.status,
        attempts: update.attempts,
        next_attempt_at: update.nextAttemptAt,
        last_attempt_at: update.lastAttemptAt,
        last_response_status: update.lastResponseStatus,
        last_error: update.lastError,
        url: update.url,
        delivered_at: update.deliveredAt,
      })
      .where('id', '=', id)
      .where('attempts', '=', expectedAttempts)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  },

  /** One delivery, locked for update when `forUpdate` (redelivery). */
  async find(executor: Executor, id: string, forUpdate = false): Promise<DeliveryRecord | undefined> {
    let query = selectRecords(executor).where('d.id', '=', id);
    if (forUpdate) query = query.forUpdate('d');
    const row = await query.executeTakeFirst();
    return row ? toRecord(row) : undefined;
  },

  /** Newest first (`created_at` desc, then `id` desc), after `cursor` when given. */
  async list(executor: Executor, filter: DeliveryFilter, page: { limit: number; after?: CursorPosition }): Promise<DeliveryRecord[]> {
    let query = selectRecords(executor);
    if (filter.status) query = query.where('d.status', '=', filter.status);
    if (filter.eventType) query = query.where('e.type', '=', filter.eventType);
    if (filter.clientId) query = query.where('d.recipient_type', '=', 'client').where('d.recipient_id', '=', filter.clientId);
    if (page.after) {
      const { at, id } = page.after;
      query = query.where(sql<boolean>`(d.created_at, d.id) < (${new Date(at)}::timestamptz, ${id}::text)`);
    }
    const rows = await query.orderBy('d.created_at', 'desc').orderBy('d.id', 'desc').limit(page.limit).execute();
    return rows.map(toRecord);
  },
};

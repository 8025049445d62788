import type { StopFn } from '../../src/context';
import type { WebhookDeliveryList, WebhookEventType } from '../../src/domain/webhooks';
import { bearer, createTestClient, tokenFor } from '../../../../test/support/clients';
import { startTestTsp, type TestTsp } from '../../../../test/support/tsp-harness';
import { newTokenRef, tokenEventData } from './support/token-fixture';
import { eventually } from './support/webhook-receiver';

const LIST = '/v1/admin/webhooks/deliveries';

describe('admin API of webhook deliveries', () => {
  let tsp: TestTsp;
  let adminToken: string;
  let walletToken: string;
  let walletClientId: string;
  let otherClientId: string;
  const failedIds: string[] = [];
  const pendingIds: string[] = [];

  async function call(method: 'GET' | 'POST', path: string, token?: string, headers: Record<string, string> = {}) {
    const res = await fetch(`${tsp.url}${path}`, { method, headers: { ...(token ? bearer(token) : {}), ...headers } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  async function emit(clientId: string, type: WebhookEventType = 'token.suspended') {
    const tokenRef = newTokenRef();
    return tsp.services.uow.transaction((tx) =>
      tsp.services.webhooks.emit(tx, { type, tokenRef, data: tokenEventData(tokenRef), targets: [{ kind: 'requestor', clientId }] }),
    );
  }

  beforeAll(async () => {
    tsp = await startTestTsp({ LOG_LEVEL: 'warn', OPENTSP_WEBHOOK_POLL_INTERVAL_MS: '50' });
    const [admin, wallet, other] = await Promise.all([
      createTestClient(tsp, { role: 'admin' }),
      createTestClient(tsp, { role: 'wallet' }),
      createTestClient(tsp, { role: 'wallet' }),
    ]);
    walletClientId = wallet.clientId;
    otherClientId = other.clientId;
    [adminToken, walletToken] = await Promise.all([tokenFor(tsp, admin), tokenFor(tsp, wallet)]);

    // Neither wallet registered a webhook URL: once the worker ran, their deliveries are
    // `failed` (no_webhook_url); those emitted after it stopped stay `pending`.
    for (let i = 0; i < 3; i++) failedIds.push((await emit(walletClientId, i === 2 ? 'token.deleted' : 'token.suspended')).deliveryIds[0]!);
    failedIds.push((await emit(otherClientId)).deliveryIds[0]!);
    const stop: StopFn = await tsp.services.jobWorker.start(tsp.services.webhooks.jobs);
    await eventually(async () => {
      const page = await tsp.services.webhooks.listDeliveries({ status: 'failed' }, { limit: 50 });
      return page.data.length === failedIds.length ? true : undefined;
    });
    await stop();
    for (let i = 0; i < 2; i++) pendingIds.push((await emit(walletClientId)).deliveryIds[0]!);
  });

  afterAll(async () => {
    // The harness does not stop identity's registry listener yet.
    await tsp.services.identity.close();
    await tsp.close();
  });

  it('answers 401 unauthorized without an access token', async () => {
    for (const [method, path] of [
      ['GET', LIST],
      ['POST', `${LIST}/${failedIds[0]}/redeliver`],
    ] as const) {
      const res = await call(method, path);
      expect(res).toMatchObject({ status: 401, body: { code: 'unauthorized' } });
    }
  });

  it('answers 403 insufficient_scope to a token without the admin scope', async () => {
    const res = await call('GET', LIST, walletToken);
    expect(res).toMatchObject({ status: 403, body: { code: 'insufficient_scope' } });
  });

  it('lists deliveries newest first, page by page, without overlap', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await call('GET', `${LIST}?limit=2${cursor ? `&cursor=${cursor}` : ''}`, adminToken);
      expect(res.status).toBe(200);
      const page = res.body as unknown as WebhookDeliveryList;
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((d) => d.deliveryId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...failedIds, ...pendingIds].reverse());
  });

  it('filters by status, event type and client', async () => {
    const failed = (await call('GET', `${LIST}?status=failed`, adminToken)).body as unknown as WebhookDeliveryList;
    expect(failed.data.map((d) => d.deliveryId)).toEqual([...failedIds].reverse());
    expect(failed.data[0]).toMatchObject({ status: 'failed', attempts: 0, lastError: 'no_webhook_url', recipient: { type: 'client', id: otherClientId } });
    const pending = (await call('GET', `${LIST}?status=pending&clientId=${walletClientId}`, adminToken)).body as unknown as WebhookDeliveryList;
    expect(pending.data.map((d) => d.deliveryId)).toEqual([...pendingIds].reverse());
    const deleted = (await call('GET', `${LIST}?eventType=token.deleted`, adminToken)).body as unknown as WebhookDeliveryList;
    expect(deleted.data.map((d) => d.deliveryId)).toEqual([failedIds[2]]);
  });

  it('refuses a cursor issued for other filters, or a malformed one, with 400 cursor_invalid', async () => {
    const first = (await call('GET', `${LIST}?limit=1&status=failed`, adminToken)).body as unknown as WebhookDeliveryList;
    expect(first.nextCursor).toEqual(expect.any(String));
    const foreign = await call('GET', `${LIST}?limit=1&status=pending&cursor=${first.nextCursor}`, adminToken);
    expect(foreign).toMatchObject({ status: 400, body: { code: 'cursor_invalid' } });
    const garbage = await call('GET', `${LIST}?cursor=bm90LWEtY3Vyc29y`, adminToken);
    expect(garbage).toMatchObject({ status: 400, body: { code: 'cursor_invalid' } });
  });

  it('redelivers a failed delivery (202, pending with a fresh budget) and audits it', async () => {
    const res = await call('POST', `${LIST}/${failedIds[1]}/redeliver`, adminToken, { 'Idempotency-Key': 'redeliver-1' });
    expect(res).toMatchObject({ status: 202, body: { deliveryId: failedIds[1], status: 'pending', attempts: 0 } });
    expect(res.body.lastError).toBeUndefined();
    const replay = await call('POST', `${LIST}/${failedIds[1]}/redeliver`, adminToken, { 'Idempotency-Key': 'redeliver-1' });
    expect(replay).toMatchObject({ status: 202, body: { deliveryId: failedIds[1], status: 'pending' } });
    const audit = await tsp.db.db.selectFrom('audit_entries').selectAll().where('action', '=', 'webhook.redeliver').execute();
    expect(audit).toEqual([expect.objectContaining({ subject_type: 'webhook_delivery', subject_id: failedIds[1], outcome: 'success' })]);
  });

  it('answers 404 delivery_not_found and 409 delivery_in_progress', async () => {
    const missing = await call('POST', `${LIST}/dlv_unknown000000000000/redeliver`, adminToken);
    expect(missing).toMatchObject({ status: 404, body: { code: 'delivery_not_found' } });
    const pending = await call('POST', `${LIST}/${pendingIds[0]}/redeliver`, adminToken);
    expect(pending).toMatchObject({ status: 409, body: { code: 'delivery_in_progress' } });
  });
});

import { sql } from 'kysely';
import { verifyCompact } from '@opentsp/crypto';
import type { StopFn } from '../../src/context';
import type { Principal } from '../../src/domain/principal';
import {
  createWebhookServices,
  WebhookEventError,
  type WebhookServices,
  type WebhookTarget,
  type WebhookEventType,
  type WebhookEventData,
} from '../../src/domain/webhooks';
import { startTestTsp, type TestTsp } from '../../../../test/support/tsp-harness';
import { eventually, WebhookReceiver, type Received } from './support/webhook-receiver';
import { newTokenRef, tokenEventData } from './support/token-fixture';

const MAX_ATTEMPTS = 4;

function withIssuerName(data: WebhookEventData, issuerName: string): WebhookEventData {
  return { ...data, token: { ...data.token, card: { ...data.token.card, issuerName } } };
}
const admin: Principal = { clientId: 'cli_admin0000000000001', role: 'admin', scopes: ['admin'] };

describe('webhook delivery (outbox → graphile-worker → signed HTTP)', () => {
  let tsp: TestTsp;
  let webhooks: WebhookServices;
  let stop: StopFn;
  let receiver: WebhookReceiver;
  /** Recipient id → path on the receiver; a recipient missing here has no webhook URL. */
  const urls = new Map<string, string>();

  beforeAll(async () => {
    tsp = await startTestTsp({
      LOG_LEVEL: 'warn',
      OPENTSP_WEBHOOK_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
      OPENTSP_WEBHOOK_BACKOFF_BASE_MS: '40',
      OPENTSP_WEBHOOK_BACKOFF_MAX_MS: '200',
      // Long enough that a healthy receiver answers in time on a loaded 2-core machine (300 ms was
      // exceeded once there: a second attempt for a delivery that succeeded); hangs still time out.
      OPENTSP_WEBHOOK_TIMEOUT_MS: '1500',
      OPENTSP_WEBHOOK_POLL_INTERVAL_MS: '50',
      OPENTSP_WEBHOOK_CONCURRENCY: '4',
    });
    receiver = await new WebhookReceiver(() => tsp.services.vault.keyRing.publicJwks()).start();
    const resolver = {
      urlFor: async (target: WebhookTarget) => {
        const path = urls.get(target.kind === 'requestor' ? target.clientId : target.issuerId);
        return path ? `${receiver.url}${path}` : undefined;
      },
    };
    webhooks = await createWebhookServices(tsp.ctx, tsp.services.vault, tsp.services.audit, resolver);
    stop = await tsp.services.jobWorker.start(webhooks.jobs);
  });

  afterAll(async () => {
    await stop();
    await receiver.close();
    // The harness does not stop identity's registry listener yet.
    await tsp.services.identity.close();
    await tsp.close();
  });

  /** A fresh recipient whose requests the receiver sees under its own path. */
  function requestor(name: string, withUrl = true): WebhookTarget {
    const clientId = `cli_${name.padEnd(16, '0')}`;
    if (withUrl) urls.set(clientId, `/${clientId}`);
    return { kind: 'requestor', clientId };
  }
  function issuer(name: string): WebhookTarget {
    const issuerId = `iss_${name.padEnd(16, '0')}`;
    urls.set(issuerId, `/${issuerId}`);
    return { kind: 'issuer', issuerId };
  }
  const pathOf = (target: WebhookTarget) => `/${target.kind === 'requestor' ? target.clientId : target.issuerId}`;
  const at = (target: WebhookTarget) => (r: Received) => r.path === pathOf(target);

  async function emit(tokenRef: string, targets: WebhookTarget[], type: WebhookEventType = 'token.suspended') {
    return tsp.services.uow.transaction((tx) => webhooks.emit(tx, { type, tokenRef, data: tokenEventData(tokenRef), targets }));
  }
  async function delivery(deliveryId: string) {
    const page = await webhooks.listDeliveries({}, { limit: 200 });
    return page.data.find((d) => d.deliveryId === deliveryId);
  }
  const settled = (deliveryId: string, status: string) =>
    eventually(async () => {
      const d = await delivery(deliveryId);
      return d?.status === status ? d : undefined;
    });

  it('sends every event to each target with an OpenTSP-Signature the receiver verifies over the raw body', async () => {
    const wallet = requestor('walletSigned');
    const bank = issuer('bankSigned');
    const tokenRef = newTokenRef();
    const { eventId, deliveryIds } = await emit(tokenRef, [wallet, bank, wallet], 'token.created');
    expect(deliveryIds).toHaveLength(2); // the duplicate target is delivered once

    await receiver.until((r) => r.some(at(wallet)) && r.some(at(bank)));
    for (const target of [wallet, bank]) {
      const got = receiver.received.find(at(target))!;
      expect(got.signature).toEqual({ ok: true, header: expect.objectContaining({ alg: 'ES256', kid: tsp.services.vault.keyRing.signingKey().kid }) });
      expect(got.event).toEqual({ id: eventId, type: 'token.created', createdAt: expect.any(String), data: tokenEventData(tokenRef) });
      expect(got.headers['content-type']).toBe('application/json');
      // The contract defines no OpenTSP-Event-Id / -Type headers; the body carries both.
      expect(got.headers['opentsp-event-id']).toBeUndefined();
      // The signature covers the exact bytes: one changed byte does not verify.
      await expect(
        verifyCompact(String(got.headers['opentsp-signature']), tsp.services.vault.keyRing.publicJwks(), {
          detachedPayload: got.rawBody.replace('SUSPENDED', 'ACTIVE').replace('"ACTIVE"', '"DELETED"'),
          maxAgeSeconds: 300,
        }),
      ).rejects.toMatchObject({ code: 'jws_invalid' });
    }
    for (const id of deliveryIds) {
      expect(await settled(id, 'delivered')).toMatchObject({ attempts: 1, lastResponseStatus: 204, deliveredAt: expect.any(String) });
    }
  });

  it('keeps per-token order through 500s and timeouts, loses nothing, and lets other tokens flow meanwhile', async () => {
    const wallet = requestor('walletOrder');
    const tokenA = newTokenRef();
    const tokenB = newTokenRef();
    let failuresLeftForA = 3; // 500, then a timeout, then 500; then the receiver recovers
    receiver.behaviour = (r) => {
      if (r.path !== pathOf(wallet) || r.event.data.token.tokenRef !== tokenA || failuresLeftForA === 0) return 204;
      failuresLeftForA -= 1;
      return failuresLeftForA === 1 ? 'hang' : 500;
    };
    const emitted: Record<string, string[]> = { [tokenA]: [], [tokenB]: [] };
    for (let i = 0; i < 5; i++) {
      for (const tokenRef of [tokenA, tokenB]) emitted[tokenRef]!.push((await emit(tokenRef, [wallet])).eventId);
    }

    const mine = () => receiver.received.filter(at(wallet));
    const ok = (r: Received) => r.answer === 204;
    await receiver.until(() => new Set(mine().filter(ok).map((r) => r.event.id)).size === 10);

    for (const tokenRef of [tokenA, tokenB]) {
      const arrivals = mine().filter((r) => r.event.data.token.tokenRef === tokenRef);
      const order = arrivals.map((r) => emitted[tokenRef]!.indexOf(r.event.id));
      // Every request (failed ones too) came in emission order: nothing overtook a failing event.
      expect(order).toEqual([...order].sort((x, y) => x - y));
      expect([...new Set(arrivals.filter(ok).map((r) => r.event.id))]).toEqual(emitted[tokenRef]);
    }
    // Token A's first event was tried 4 times, all with the same event id (receivers dedupe by it).
    const firstOfA = mine().filter((r) => r.event.id === emitted[tokenA]![0]);
    expect(firstOfA.map((r) => r.answer)).toEqual([500, 'hang', 500, 204]);
    // Token B was not held back by token A's failures.
    const lastOfB = Math.max(...mine().filter((r) => r.event.data.token.tokenRef === tokenB).map((r) => r.at));
    expect(lastOfB).toBeLessThan(firstOfA[3]!.at);
    receiver.behaviour = () => 204;
  });

  it('marks a delivery dead after the configured attempts, lists it, and redelivers it', async () => {
    const bank = issuer('bankDead');
    let up = false;
    receiver.behaviour = (r) => (r.path === pathOf(bank) && !up ? 500 : 204);
    const { eventId, deliveryIds } = await emit(newTokenRef(), [bank]);
    const dead = await settled(deliveryIds[0]!, 'dead');
    expect(dead).toMatchObject({ eventId, attempts: MAX_ATTEMPTS, lastResponseStatus: 500, lastError: 'HTTP 500 from receiver' });
    expect(dead.nextAttemptAt).toBeUndefined();
    const listed = await webhooks.listDeliveries({ status: 'dead' }, { limit: 50 });
    expect(listed.data.map((d) => d.deliveryId)).toContain(deliveryIds[0]);

    up = true;
    const queued = await webhooks.redeliver(admin, deliveryIds[0]!, 'req-redeliver-1');
    expect(queued).toMatchObject({ status: 'pending', attempts: 0 });
    expect(await settled(deliveryIds[0]!, 'delivered')).toMatchObject({ attempts: 1, lastResponseStatus: 204 });
    const all = receiver.received.filter(at(bank));
    expect(all).toHaveLength(MAX_ATTEMPTS + 1);
    expect(new Set(all.map((r) => r.event.id))).toEqual(new Set([eventId]));
    expect(all.every((r) => r.signature.ok)).toBe(true);
    const audit = await tsp.db.db.selectFrom('audit_entries').selectAll().where('action', '=', 'webhook.redeliver').execute();
    expect(audit).toEqual([
      expect.objectContaining({ subject_id: deliveryIds[0], outcome: 'success', request_id: 'req-redeliver-1', actor: { type: 'client', clientId: admin.clientId } }),
    ]);
    receiver.behaviour = () => 204;
  });

  it('refuses to redeliver an unknown delivery or one still pending', async () => {
    await expect(webhooks.redeliver(admin, 'dlv_unknown000000000000')).rejects.toMatchObject({ code: 'delivery_not_found' });
    const slow = requestor('walletSlow');
    receiver.behaviour = (r) => (r.path === pathOf(slow) ? 'hang' : 204);
    const { deliveryIds } = await emit(newTokenRef(), [slow]);
    // The first attempt takes the full 1.5 s timeout; until then the delivery is pending.
    await expect(webhooks.redeliver(admin, deliveryIds[0]!)).rejects.toMatchObject({ code: 'delivery_in_progress' });
    receiver.behaviour = () => 204;
  });

  it('never delivers an event whose transaction rolled back', async () => {
    const wallet = requestor('walletRollback');
    const tokenRef = newTokenRef();
    let rolledBack = '';
    await expect(
      tsp.services.uow.transaction(async (tx) => {
        rolledBack = (await webhooks.emit(tx, { type: 'token.suspended', tokenRef, data: tokenEventData(tokenRef), targets: [wallet] })).eventId;
        throw new Error('the state change failed');
      }),
    ).rejects.toThrow('the state change failed');
    // A later event of the same token and recipient goes through; the rolled-back one never does.
    const { eventId } = await emit(tokenRef, [wallet], 'token.resumed');
    await receiver.until((r) => r.some((x) => x.event.id === eventId));
    expect(receiver.received.filter((r) => r.event.id === rolledBack)).toEqual([]);
    const rows = await tsp.db.db.selectFrom('webhook_events').select('id').where('id', '=', rolledBack).execute();
    expect(rows).toEqual([]);
  });

  it('fails a delivery to a recipient without a webhook URL (no_webhook_url) without retrying, until redelivered', async () => {
    const wallet = requestor('walletNoUrl', false);
    const { deliveryIds } = await emit(newTokenRef(), [wallet]);
    const failed = await settled(deliveryIds[0]!, 'failed');
    expect(failed).toMatchObject({ attempts: 0, lastError: 'no_webhook_url' });
    expect(failed.nextAttemptAt).toBeUndefined();
    expect(failed.url).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await delivery(deliveryIds[0]!)).toMatchObject({ status: 'failed', attempts: 0 });

    requestor('walletNoUrl'); // the wallet registers its URL
    await webhooks.redeliver(admin, deliveryIds[0]!);
    expect(await settled(deliveryIds[0]!, 'delivered')).toMatchObject({ url: `${receiver.url}${pathOf(wallet)}` });
  });

  it('refuses events it must not send: no target, a tokenRef mismatch, a card number in the body', async () => {
    const tokenRef = newTokenRef();
    const wallet = requestor('walletRefused');
    const tries = [
      { type: 'token.created' as const, tokenRef, data: tokenEventData(tokenRef), targets: [] },
      { type: 'token.created' as const, tokenRef, data: tokenEventData(newTokenRef()), targets: [wallet] },
      {
        type: 'token.created' as const,
        tokenRef,
        data: withIssuerName(tokenEventData(tokenRef), 'Bank 6212 3456 7890 1232'),
        targets: [wallet],
      },
    ];
    for (const input of tries) {
      await expect(tsp.services.uow.transaction((tx) => webhooks.emit(tx, input))).rejects.toBeInstanceOf(WebhookEventError);
    }
    const { count } = await tsp.db.db.selectFrom('webhook_events').select(sql<number>`count(*)::int`.as('count')).where('token_ref', '=', tokenRef).executeTakeFirstOrThrow();
    expect(count).toBe(0);
  });

  it('counts outcomes and attempt latency in the metrics registry', async () => {
    const text = await tsp.ctx.metrics.registry.metrics();
    expect(text).toMatch(/opentsp_webhook_deliveries_total\{outcome="delivered"\} [1-9]/);
    expect(text).toMatch(/opentsp_webhook_deliveries_total\{outcome="dead"\} 1/);
    expect(text).toMatch(/opentsp_webhook_delivery_duration_seconds_count\{result="timeout"\} [1-9]/);
  });

  it('stops gracefully: stop waits for the attempt in flight and records it', async () => {
    const wallet = requestor('walletStop');
    receiver.behaviour = (r) => (r.path === pathOf(wallet) ? 'hang' : 204);
    const { deliveryIds } = await emit(newTokenRef(), [wallet]);
    await receiver.until((r) => r.some(at(wallet)));
    await stop();
    expect(await delivery(deliveryIds[0]!)).toMatchObject({ status: 'failed', attempts: 1, lastError: 'no answer within 1500 ms' });
    stop = async () => undefined;
  });
});

import { randomInt } from 'node:crypto';
import { sleep, type Answer, type CrashWorld, type OperationKind } from './crash-world';

/**
 * The client side of the crash-safety run: lanes of operations that keep going while the TSP
 * is killed under them, and the killer. Every operation has its own Idempotency-Key, sent again
 * unchanged with the same body until the TSP answers; what the client finally got is recorded
 * for the checks against the database.
 */

/** One client operation and the answer it finally got. */
export interface Outcome {
  kind: OperationKind;
  key: string;
  status: number;
  code?: string;
  tokenRef?: string;
  tokenStatus?: string;
  retries: number;
  replayed: boolean;
}

/** What each chain expects to end with (for the duplicate checks). */
export interface ChainRecord {
  walletAccountId: string;
  tokenRef?: string;
  via: 'provisioning' | 'push';
}

export interface Run {
  outcomes: Outcome[];
  chains: ChainRecord[];
  /** Answers a client must never get after a crash (the operation was done, the answer lost). */
  unexpected: Outcome[];
  rotationsStarted: number;
}

const EXPECTED: Record<string, number[]> = {
  provisioning: [201],
  'push-receipt': [201],
  'push-redeem': [201],
  lifecycle: [200],
  verification: [200, 201],
  rotate: [202, 200, 201],
};

function record(run: Run, kind: OperationKind, key: string, answer: Answer, expected = EXPECTED[kind] ?? [200]): Outcome {
  const outcome: Outcome = {
    kind,
    key,
    status: answer.status,
    ...(typeof answer.body.code === 'string' ? { code: answer.body.code } : {}),
    ...(typeof answer.body.tokenRef === 'string' ? { tokenRef: answer.body.tokenRef } : {}),
    ...(typeof answer.body.status === 'string' ? { tokenStatus: answer.body.status } : {}),
    retries: answer.retries,
    replayed: answer.replayed,
  };
  run.outcomes.push(outcome);
  if (!expected.includes(answer.status)) run.unexpected.push(outcome);
  return outcome;
}

function device(n: string) {
  // A device and IP of its own per chain: the risk engine's velocity rules (per device, per IP) must not couple chains.
  return { id: `dev_crash_${n}`, type: 'phone', os: 'android', osVersion: '15', model: 'Pixel 9', name: 'Crash phone', ip: `198.51.100.${randomInt(1, 255)}`, score: 90 };
}

/** Wallet, then issuer, lifecycle calls on one token: suspend, resume, issuer suspend + resume of the card. */
async function lifecycle(w: CrashWorld, run: Run, id: string, tokenRef: string, cardRef: string | undefined): Promise<void> {
  for (const transition of ['suspend', 'resume'] as const) {
    const key = `${transition}-${id}`;
    record(run, 'lifecycle', key, await w.call('lifecycle', w.wallet, 'POST', `/v1/tokens/${tokenRef}/${transition}`, { body: { reason: 'cardholder_request' }, idempotencyKey: key }));
  }
  if (!cardRef) return;
  for (const transition of ['suspend', 'resume'] as const) {
    const key = `card-${transition}-${id}`;
    record(run, 'lifecycle', key, await w.call('lifecycle', w.issuer, 'POST', `/v1/issuer/cards/${cardRef}/${transition}`, { body: { reason: 'issuer_request' }, idempotencyKey: key }));
  }
}

let counter = 0;
const nextId = () => `${Date.now().toString(36)}${(counter++).toString(36)}`;

/** Wallet provisioning of a fresh card, then its lifecycle. */
export async function provisioningChain(w: CrashWorld, run: Run): Promise<void> {
  const id = nextId();
  const walletAccountId = `wa_crash_p_${id}`;
  const chain: ChainRecord = { walletAccountId, via: 'provisioning' };
  run.chains.push(chain);
  const body = { encryptedCard: await w.encryptCard(w.newPan()), walletAccountId, device: device(id), tokenLocation: '02', channel: 'nfc' };
  const key = `provision-${id}`;
  const answer = await w.call('provisioning', w.wallet, 'POST', '/v1/tokens', { body, idempotencyKey: key });
  const outcome = record(run, 'provisioning', key, answer);
  if (!outcome.tokenRef) return;
  chain.tokenRef = outcome.tokenRef;
  const card = answer.body.card as { cardRef?: string } | undefined;
  if (outcome.tokenStatus === 'ACTIVE') await lifecycle(w, run, id, outcome.tokenRef, card?.cardRef);
}

/**
 * Provisioning at a bank that asks for step-up: the token is INACTIVE until the cardholder
 * types the OTP the bank delivered (ID&V start, then confirm), then its wallet lifecycle.
 */
export async function verificationChain(w: CrashWorld, run: Run): Promise<void> {
  const id = nextId();
  const walletAccountId = `wa_crash_v_${id}`;
  const chain: ChainRecord = { walletAccountId, via: 'provisioning' };
  run.chains.push(chain);
  const body = { encryptedCard: await w.encryptCard(w.newPan(w.stepUpCardPrefix)), walletAccountId, device: device(id), tokenLocation: '02', channel: 'nfc' };
  const key = `provision-${id}`;
  const answer = await w.call('provisioning', w.wallet, 'POST', '/v1/tokens', { body, idempotencyKey: key });
  const outcome = record(run, 'provisioning', key, answer);
  if (!outcome.tokenRef) return;
  chain.tokenRef = outcome.tokenRef;
  const methods = (answer.body.verification as { methods?: Array<{ id: string }> } | undefined)?.methods;
  if (outcome.tokenStatus !== 'INACTIVE' || !methods?.[0]) return;
  const startKey = `idv-start-${id}`;
  const started = await w.call('verification', w.wallet, 'POST', `/v1/tokens/${outcome.tokenRef}/verification`, { body: { methodId: methods[0].id }, idempotencyKey: startKey });
  record(run, 'verification', startKey, started);
  const challengeId = started.body.challengeId as string | undefined;
  const code = challengeId ? w.receiver.otpFor(challengeId) : undefined;
  if (!challengeId || !code) return;
  const confirmKey = `idv-confirm-${id}`;
  const confirmed = record(run, 'verification', confirmKey, await w.call('verification', w.wallet, 'POST', `/v1/tokens/${outcome.tokenRef}/verification/confirm`, { body: { challengeId, code }, idempotencyKey: confirmKey }), [200]);
  if (confirmed.tokenStatus === 'ACTIVE') await lifecycle(w, run, id, outcome.tokenRef, undefined);
}

/** The bank pushes a card (push receipt), the wallet redeems it, then its lifecycle. */
export async function pushChain(w: CrashWorld, run: Run): Promise<void> {
  const id = nextId();
  const walletAccountId = `wa_crash_r_${id}`;
  const chain: ChainRecord = { walletAccountId, via: 'push' };
  run.chains.push(chain);
  const receiptKey = `receipt-${id}`;
  const receiptBody = { encryptedCard: await w.encryptCard(w.newPan()), trid: w.wallet.trid, walletAccountId };
  const receipt = await w.call('push-receipt', w.issuer, 'POST', '/v1/push-receipts', { body: receiptBody, idempotencyKey: receiptKey });
  record(run, 'push-receipt', receiptKey, receipt);
  if (typeof receipt.body.pushReceipt !== 'string') return;
  const redeemKey = `redeem-${id}`;
  const answer = await w.call('push-redeem', w.wallet, 'POST', '/v1/tokens', {
    body: { pushReceipt: receipt.body.pushReceipt, walletAccountId, device: device(id) },
    idempotencyKey: redeemKey,
  });
  const outcome = record(run, 'push-redeem', redeemKey, answer);
  if (!outcome.tokenRef) return;
  chain.tokenRef = outcome.tokenRef;
  if (outcome.tokenStatus === 'ACTIVE') await lifecycle(w, run, id, outcome.tokenRef, receipt.body.cardRef as string | undefined);
}

/** Starts a KEK rotation (admin API) and follows it until it completes. */
export async function rotationChain(w: CrashWorld, run: Run): Promise<void> {
  const key = `rotate-${nextId()}`;
  const answer = await w.call('rotate', w.admin, 'POST', '/v1/admin/keys/rotate', { idempotencyKey: key });
  // A rotation already running (e.g. the one a lost answer started) is a fine answer here.
  record(run, 'rotate', key, answer, [...(EXPECTED.rotate ?? []), ...(answer.body.code === 'key_rotation_in_progress' ? [409] : [])]);
  if (answer.status < 300) run.rotationsStarted += 1;
  await waitForRotation(w, 120_000);
}

export async function waitForRotation(w: CrashWorld, timeoutMs: number): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await w.call('read', w.admin, 'GET', '/v1/admin/keys');
    const rotation = status.body.rotation as { status?: string } | null;
    if (!rotation || rotation.status !== 'running') return status.body;
    if (Date.now() > deadline) throw new Error(`the key rotation did not finish within ${timeoutMs} ms: ${JSON.stringify(rotation)}`);
    await sleep(300);
  }
}

/** Runs `chain` again and again until `stopped()`; the chain in progress always finishes. */
export async function lane(stopped: () => boolean, chain: () => Promise<void>, pauseMs = 0): Promise<void> {
  while (!stopped()) {
    await chain();
    if (pauseMs) await sleep(pauseMs);
  }
}

// ------------------------------------------------------------------------------------------
// The killer

async function latestRotation(w: CrashWorld) {
  const rows = await w.db.pool.query<{ status: string; deks_rewrapped: number; deks_total: number }>(
    'select status, deks_rewrapped, deks_total from key_rotations order by id desc limit 1',
  );
  return rows.rows[0];
}

/** Resolves once the running rotation has re-wrapped some of its DEKs (then a kill lands mid-way), or it ended. */
async function rewrapUnderway(w: CrashWorld, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const rotation = await latestRotation(w);
    if (!rotation || rotation.status !== 'running' || rotation.deks_rewrapped > 0) return;
    await sleep(10);
  }
}

export type KillTarget = 'provisioning' | 'verification' | 'push' | 'lifecycle' | 'rewrap' | 'webhook';
export const KILL_TARGETS: readonly KillTarget[] = ['provisioning', 'push', 'lifecycle', 'webhook', 'rewrap', 'verification'];

export interface KillRecord {
  target: KillTarget;
  /** False when the awaited moment did not come in time and the kill fell at a random moment. */
  aimed: boolean;
  restartMs: number;
  /** For `rewrap`: the rotation was still running (DEKs left to re-wrap) when the kill fell. */
  duringRewrap?: boolean;
}

/**
 * Waits for the moment of `target` (a request of that kind going out, a webhook arriving at
 * the receiver, a rotation just started), then SIGKILLs the TSP a random few milliseconds
 * later: before, during or just after the commit. A rotation's re-wrap runs on the worker's
 * next poll (every second) after the rotation was answered, so that kill falls 0.1–1.5 s after
 * the answer.
 */
export async function killAt(w: CrashWorld, target: KillTarget): Promise<KillRecord> {
  const aimed = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => done(false), 8_000);
    const onSent = (kind: OperationKind) => {
      if (
        (target === 'provisioning' && kind === 'provisioning') ||
        (target === 'verification' && kind === 'verification') ||
        (target === 'push' && (kind === 'push-redeem' || kind === 'push-receipt')) ||
        (target === 'lifecycle' && kind === 'lifecycle')
      ) {
        done(true);
      }
    };
    // The re-wrap starts after the rotation's answer (202), on the worker's next poll.
    const onAnswered = (kind: OperationKind, status: number) => target === 'rewrap' && kind === 'rotate' && status === 202 && done(true);
    const onDelivery = () => target === 'webhook' && done(true);
    function done(hit: boolean) {
      clearTimeout(timer);
      w.events.off('sent', onSent);
      w.events.off('answered', onAnswered);
      w.receiver.events.off('delivery', onDelivery);
      resolve(hit);
    }
    w.events.on('sent', onSent);
    w.events.on('answered', onAnswered);
    w.receiver.events.on('delivery', onDelivery);
  });
  if (target === 'rewrap') await rewrapUnderway(w, 3_000);
  else await sleep(target === 'webhook' ? randomInt(30) : randomInt(250));
  await w.tsp.kill('SIGKILL');
  const duringRewrap = target === 'rewrap' ? (await latestRotation(w))?.status === 'running' : undefined;
  const started = Date.now();
  await w.tsp.restart();
  return { target, aimed, restartMs: Date.now() - started, ...(duringRewrap !== undefined ? { duringRewrap } : {}) };
}

import { randomInt } from 'node:crypto';
import { testPan } from '@opentsp/card';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { encryptCompact, type Jwk, type Jwks } from '@opentsp/crypto';
import { createAuditLog } from '../../../services/tsp/src/audit/audit-log';
import { loadConfig } from '../../../services/tsp/src/config';
import { createRegistryAdmin } from '../../../services/tsp/src/domain/identity';
import { createLogger } from '../../../services/tsp/src/observability/logger';
import { createMetrics } from '../../../services/tsp/src/observability/metrics';
import { createVaultServices } from '../../../services/tsp/src/vault';
import { basicAuth } from '../../support/clients';
import { registerTestPans } from '../../support/leak-scan';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';
import { startWebhookReceiver, type WebhookReceiver } from './crash-receiver';
import { createProductionKeystore, startTspProcess, type KeystoreEnv, type TspProcess } from './tsp-process';

/**
 * The world of the crash-safety test: one production-mode TSP child process on its own
 * database and keystore, an https webhook receiver, and the registered parties (issuer, its
 * back end, a wallet, an admin). `api` calls the TSP as a client that survives crashes would:
 * it keeps one Idempotency-Key per operation and retries until it gets an answer.
 */

/** What a call is part of (the killer aims at these). */
export type OperationKind = 'provisioning' | 'verification' | 'push-receipt' | 'push-redeem' | 'lifecycle' | 'rotate' | 'read';

export interface Party {
  clientId: string;
  clientSecret: string;
  accessToken?: string;
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  replayed: boolean;
  /** Times the call was sent again (network error, 5xx, 409 in progress, 429, 401). */
  retries: number;
}

export interface CallStats {
  calls: number;
  retriedCalls: number;
  retries: number;
  byReason: Record<string, number>;
}

export interface CrashWorld {
  db: TestDatabase;
  keystore: KeystoreEnv;
  tsp: TspProcess;
  receiver: WebhookReceiver;
  issuerId: string;
  cardPrefix: string;
  /** Card BIN of a second bank whose stand-in decision is step-up (ID&V by OTP through the receiver). */
  stepUpCardPrefix: string;
  issuer: Party;
  wallet: Party & { trid: string };
  admin: Party;
  /** `sent` (kind) before each attempt goes out; `answered` (kind, status) when a call got its answer. */
  events: EventEmitter;
  stats: CallStats;
  call(kind: OperationKind, party: Party, method: string, urlPath: string, options?: { body?: unknown; idempotencyKey?: string }): Promise<Answer>;
  /** A fresh Luhn-valid PAN of the issuer's card BIN (or `prefix`), registered for the leak scan. */
  newPan(prefix?: string): string;
  /** `encryptedCard` to the TSP's published key, as a wallet SDK or a bank makes it. */
  encryptCard(pan: string): Promise<string>;
  close(): Promise<void>;
}

const ACTOR = { actor: { type: 'system' as const } };
const CALL_DEADLINE_MS = 180_000;

/**
 * `seedCards`: cards stored in the vault before the run (one data key each), so a KEK
 * re-wrap takes long enough for a kill to land in the middle of it.
 */
export async function startCrashWorld(env: Record<string, string>, options: { seedCards?: number } = {}): Promise<CrashWorld> {
  const dir = mkdtempSync(path.join(tmpdir(), 'opentsp-crash-'));
  const db = await createTestDatabase();
  const keystore = await createProductionKeystore(dir);
  const receiver = await startWebhookReceiver(dir);
  const tsp = await startTspProcess({
    databaseUrl: db.url,
    keystore,
    label: 'crash-safety TSP',
    env: { NODE_EXTRA_CA_CERTS: receiver.caFile, ...env },
  });
  try {
    const parties = await registerParties(db, keystore, receiver.url, tsp.baseUrl, options.seedCards ?? 0);
    const world = buildWorld({ db, keystore, tsp, receiver, dir, ...parties });
    return world;
  } catch (err) {
    await tsp.stop().catch(() => undefined);
    await receiver.close();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

// The parties are registered as an operator does it next to a running TSP (the registry
// admin on the same database; the TSP follows through NOTIFY).
async function registerParties(db: TestDatabase, keystore: KeystoreEnv, receiverUrl: string, publicUrl: string, seedCards: number) {
  const config = loadConfig({ OPENTSP_MODE: 'production', DATABASE_URL: db.url, OPENTSP_PUBLIC_URL: publicUrl, ...keystore });
  const logger = createLogger({ level: 'warn', destination: new Writable({ write: (_c, _e, done) => done() }) });
  const ctx = { config, logger, database: db, metrics: createMetrics() };
  const audit = createAuditLog(db.db, logger);
  const admin = await createRegistryAdmin(ctx, audit);
  const cardPrefix = '621399';
  const issuer = await admin.issuers.create(ACTOR, {
    name: 'Crash Test Bank',
    country: 'CN',
    cardBinRanges: [{ prefix: cardPrefix, panLength: 16 }],
    tokenBinRanges: [{ prefix: '628899', tokenLength: 16 }],
    standInDecision: 'approve',
    webhookUrl: `${receiverUrl}/webhooks/issuer`,
  });
  const stepUpCardPrefix = '621398';
  await admin.issuers.create(ACTOR, {
    name: 'Crash Step-up Bank',
    country: 'CN',
    cardBinRanges: [{ prefix: stepUpCardPrefix, panLength: 16 }],
    tokenBinRanges: [{ prefix: '628898', tokenLength: 16 }],
    standInDecision: 'step_up',
    otpDeliveryUrl: `${receiverUrl}/otp-deliveries`,
    webhookUrl: `${receiverUrl}/webhooks/issuer`,
  });
  const client = async (request: Parameters<typeof admin.clients.create>[1]) => {
    const made = await admin.clients.create(ACTOR, request);
    return { made, party: { clientId: made.client.clientId, clientSecret: made.clientSecret ?? '' } };
  };
  const issuerClient = await client({ name: 'Crash Test Bank back end', role: 'issuer', issuerId: issuer.issuerId, tokenEndpointAuthMethod: 'client_secret_basic' });
  const wallet = await client({ name: 'Crash Test Wallet', role: 'wallet', webhookUrl: `${receiverUrl}/webhooks/wallet`, appUri: 'crashwallet://push', tokenEndpointAuthMethod: 'client_secret_basic' });
  const adminClient = await client({ name: 'Crash Test Admin', role: 'admin', tokenEndpointAuthMethod: 'client_secret_basic' });
  await seedVault(ctx, audit, issuer.issuerId, cardPrefix, seedCards);
  await audit.flush();
  return {
    issuerId: issuer.issuerId,
    cardPrefix,
    stepUpCardPrefix,
    issuer: issuerClient.party,
    wallet: { ...wallet.party, trid: wallet.made.client.trid as string },
    admin: adminClient.party,
  };
}

// Cards stored through the vault itself (as `POST /v1/issuer/cards` does), 100 per transaction.
// Their PANs are not registered one by one: the leak scan's card-BIN rule covers them.
async function seedVault(ctx: Parameters<typeof createVaultServices>[0], audit: ReturnType<typeof createAuditLog>, issuerId: string, prefix: string, count: number) {
  if (count <= 0) return;
  const vault = await createVaultServices(ctx, audit);
  const expYear = new Date().getUTCFullYear() + 3;
  for (let done = 0; done < count; done += 100) {
    await ctx.database.db.transaction().execute(async (tx) => {
      for (let i = done; i < Math.min(count, done + 100); i++) {
        await vault.cards.storeCard(tx, { issuerId, pan: testPan({ prefix: `${prefix}9`, serial: i }), expMonth: 12, expYear });
      }
    });
  }
}

function buildWorld(parts: Omit<CrashWorld, 'events' | 'stats' | 'call' | 'newPan' | 'encryptCard' | 'close'> & { dir: string }): CrashWorld {
  const events = new EventEmitter();
  const stats: CallStats = { calls: 0, retriedCalls: 0, retries: 0, byReason: {} };
  const base = parts.tsp.baseUrl;
  let encKey: Jwk | undefined;
  let serial = 0;

  const retry = (reason: string) => {
    stats.retries += 1;
    stats.byReason[reason] = (stats.byReason[reason] ?? 0) + 1;
  };

  async function accessToken(party: Party, deadline: number): Promise<string> {
    while (!party.accessToken) {
      try {
        const res = await fetch(`${base}/oauth2/token`, {
          method: 'POST',
          headers: { Authorization: basicAuth(party.clientId, party.clientSecret), 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'client_credentials' }),
          signal: AbortSignal.timeout(15_000),
        });
        const json = (await res.json()) as { access_token?: string };
        if (res.status === 200 && json.access_token) party.accessToken = json.access_token;
        else if (res.status < 500 && res.status !== 429) throw new Error(`token request refused: ${res.status} ${JSON.stringify(json)}`);
      } catch (err) {
        if (err instanceof Error && err.message.startsWith('token request refused')) throw err;
      }
      if (!party.accessToken) {
        if (Date.now() > deadline) throw new Error('no access token before the deadline');
        await sleep(250);
      }
    }
    return party.accessToken;
  }

  async function call(kind: OperationKind, party: Party, method: string, urlPath: string, options: { body?: unknown; idempotencyKey?: string } = {}): Promise<Answer> {
    stats.calls += 1;
    const deadline = Date.now() + CALL_DEADLINE_MS;
    let retries = 0;
    for (;;) {
      const token = await accessToken(party, deadline);
      events.emit('sent', kind);
      let wait = 200 + randomInt(200);
      let reason: string;
      try {
        const res = await fetch(`${base}${urlPath}`, {
          method,
          headers: {
            Authorization: `Bearer ${token}`,
            ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
            ...(options.idempotencyKey ? { 'Idempotency-Key': options.idempotencyKey } : {}),
          },
          ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
          signal: AbortSignal.timeout(20_000),
        });
        const text = await res.text();
        const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
        if (res.status === 401) {
          party.accessToken = undefined;
          reason = '401';
        } else if (res.status >= 500 || res.status === 429 || (res.status === 409 && body.code === 'idempotency_in_progress')) {
          reason = res.status === 409 ? 'idempotency_in_progress' : String(res.status);
          const after = Number(res.headers.get('retry-after'));
          if (Number.isFinite(after) && after > 0) wait = Math.min(after * 1000, 2_000);
        } else {
          if (retries) stats.retriedCalls += 1;
          events.emit('answered', kind, res.status);
          if (process.env.OPENTSP_CRASH_DEBUG) process.stderr.write(`${new Date().toISOString()} answer ${kind} ${method} ${urlPath}: ${res.status} ${String(body.code ?? '')} ${JSON.stringify(body.reasonCodes ?? '')}\n`);
          return { status: res.status, body, replayed: res.headers.get('idempotent-replayed') === 'true', retries };
        }
      } catch (err) {
        reason = 'network';
        if (process.env.OPENTSP_CRASH_DEBUG) process.stderr.write(`${new Date().toISOString()} ${kind} ${method} ${urlPath}: ${String(err)}\n`);
      }
      if (process.env.OPENTSP_CRASH_DEBUG) process.stderr.write(`${new Date().toISOString()} retry ${kind} ${method} ${urlPath}: ${reason}\n`);
      retries += 1;
      retry(reason);
      if (Date.now() > deadline) throw new Error(`${method} ${urlPath} got no answer within ${CALL_DEADLINE_MS} ms (last: ${reason})`);
      await sleep(wait);
    }
  }

  return {
    ...parts,
    events,
    stats,
    call,
    newPan(prefix = parts.cardPrefix) {
      serial += 1;
      const pan = testPan({ prefix, suffix: String(serial % 1000).padStart(3, '0') });
      registerTestPans(pan);
      return pan;
    },
    async encryptCard(pan) {
      if (!encKey) {
        for (;;) {
          try {
            const jwks = (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as Jwks;
            encKey = jwks.keys.find((k) => k.use === 'enc' && k.alg === 'ECDH-ES+A256KW') as Jwk;
            break;
          } catch {
            await sleep(250);
          }
        }
      }
      return encryptCompact({ pan, expMonth: 12, expYear: new Date().getUTCFullYear() + 3 }, encKey, { alg: 'ECDH-ES+A256KW' });
    },
    async close() {
      try {
        await parts.tsp.stop();
      } finally {
        await parts.receiver.close();
        await parts.db.drop();
        rmSync(parts.dir, { recursive: true, force: true });
      }
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

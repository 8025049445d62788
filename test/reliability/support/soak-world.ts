import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { components } from '@opentsp/api-types';
import { closeServices, createServices, type Services } from '../../../services/tsp/src/compose';
import { loadConfig } from '../../../services/tsp/src/config';
import type { ServiceContext } from '../../../services/tsp/src/context';
import type { AdminContext } from '../../../services/tsp/src/domain/identity';
import type { CreateClientRequest } from '../../../services/tsp/src/domain/identity/clients';
import { createLogger } from '../../../services/tsp/src/observability/logger';
import { createMetrics } from '../../../services/tsp/src/observability/metrics';
import { tokensRepository } from '../../../services/tsp/src/store/tokens.repository';
import { assertNoCardDataInLogs, registerTestPans } from '../../support/leak-scan';
import { startIssuerSim, type TestIssuerSim } from '../../support/issuer-sim-harness';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';
import { CapturedLogs } from '../../support/tsp-harness';
import { soakPan } from './soak-workload';
import { createProductionKeystore, type KeystoreEnv } from './tsp-process';

/**
 * One database shared by several real TSP processes (multi-process and soak tests), plus what
 * the test process needs beside them:
 *
 * - `database()` → a fresh database (unmigrated when asked: `serve` migrates it itself) and a
 *   production keystore made by `opentsp keys init`, both for every process of the test;
 * - `seed(world, tspUrl)` → this jest process's own composition root on the same database (as
 *   an operator's admin tooling would be), the issuer-sim as the bank, and registered parties.
 *
 * Parties are registered through the identity services (the same code as the admin API); the
 * seeding config is sandbox only so the issuer may name issuer-sim's plain-HTTP
 * 127.0.0.1 endpoints (production insists on https), exactly as `pnpm bench` seeds. The TSP
 * processes under test run in production mode.
 */
export interface SharedDatabase {
  db: TestDatabase;
  keystore: KeystoreEnv;
  /** Drops the database (leak scan first) and removes the keystore. */
  close(): Promise<void>;
}

export async function sharedDatabase(options: { migrate?: boolean } = {}): Promise<SharedDatabase> {
  const db = await createTestDatabase({ migrate: options.migrate ?? true });
  const keysDir = mkdtempSync(path.join(tmpdir(), 'opentsp-shared-keys-'));
  try {
    const keystore = await createProductionKeystore(keysDir);
    return {
      db,
      keystore,
      async close() {
        try {
          await db.drop();
        } finally {
          rmSync(keysDir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    await db.drop();
    rmSync(keysDir, { recursive: true, force: true });
    throw err;
  }
}

export interface SeededClient {
  clientId: string;
  clientSecret: string;
  trid?: string;
  responseEncryptionKey?: components['schemas']['OctJwk'];
}

export interface Seeded {
  services: Services;
  sim: TestIssuerSim;
  issuer: components['schemas']['Issuer'];
  /** 16-digit PANs of the issuer start with this 6-digit BIN. */
  cardBin: string;
  issuerClient: SeededClient;
  acquirer: SeededClient;
  merchantId: string;
  /** Registers another client (each rate-limit test gets its own, so quotas do not mix). */
  client(request: Partial<CreateClientRequest> & Pick<CreateClientRequest, 'role'>): Promise<SeededClient>;
  close(): Promise<void>;
}

const ACTOR: AdminContext = { actor: { type: 'cli' } };
const MERCHANT_ID = '898310048160001';

/**
 * Seeds the shared database: issuer (card BIN `cardBin`, token BIN `tokenBin`) whose decision,
 * OTP and webhook endpoints are an issuer-sim verifying the signatures of the TSP at `tspUrl`,
 * its back-end client and an acquirer (A256GCMKW response key).
 */
export async function seed(shared: SharedDatabase, tspUrl: string, bins = { cardBin: '621377', tokenBin: '628877' }): Promise<Seeded> {
  const config = loadConfig({ OPENTSP_MODE: 'sandbox', LOG_LEVEL: 'warn', ...shared.keystore }, { databaseUrl: shared.db.url, port: 0 });
  const logs = new CapturedLogs();
  const logger = createLogger({ level: config.logLevel, destination: logs.stream });
  const ctx: ServiceContext = { config, logger, database: shared.db, metrics: createMetrics() };
  const services = await createServices(ctx);
  const sim = await startIssuerSim({ tspUrl });
  const client = async (request: Partial<CreateClientRequest> & Pick<CreateClientRequest, 'role'>): Promise<SeededClient> => {
    const made = await services.identity.clients.create(ACTOR, { name: `Shared ${request.role}`, tokenEndpointAuthMethod: 'client_secret_basic', ...request });
    return {
      clientId: made.client.clientId,
      clientSecret: made.clientSecret ?? '',
      ...(made.client.trid ? { trid: made.client.trid } : {}),
      ...(made.responseEncryptionKey ? { responseEncryptionKey: made.responseEncryptionKey } : {}),
    };
  };
  try {
    const issuer = await services.identity.issuers.create(ACTOR, {
      name: 'Shared Bank',
      country: 'CN',
      cardBinRanges: [{ prefix: bins.cardBin, panLength: 16 }],
      tokenBinRanges: [{ prefix: bins.tokenBin, tokenLength: 16 }],
      decisionUrl: `${sim.url}/decisions`,
      otpDeliveryUrl: `${sim.url}/otp-deliveries`,
      webhookUrl: `${sim.url}/webhooks`,
      // The simulator's card-data key: it checks PAN, expiry and CVV2 (approval needs its CVV2 check).
      jwks: sim.publicJwks,
      standInDecision: 'approve',
    });
    const issuerClient = await client({ role: 'issuer', issuerId: issuer.issuerId });
    const acquirer = await client({ role: 'acquirer', merchantIds: [MERCHANT_ID], responseEncryption: { alg: 'A256GCMKW' } });
    return {
      services,
      sim,
      issuer,
      cardBin: bins.cardBin,
      issuerClient,
      acquirer,
      merchantId: MERCHANT_ID,
      client,
      async close() {
        await sim.close();
        await closeServices(services);
        await assertNoCardDataInLogs(logs.text(), 'shared-database seeder', shared.db.pool);
      },
    };
  } catch (err) {
    await sim.close();
    await closeServices(services);
    throw err;
  }
}

/**
 * Waits until every base URL accepts a newly seeded party (the registry reaches each process by
 * NOTIFY). `accept` answers true, or what it got instead (shown on timeout).
 */
export async function untilKnownEverywhere(baseUrls: readonly string[], accept: (baseUrl: string) => Promise<true | string>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const url of baseUrls) {
    for (;;) {
      const answer = await accept(url);
      if (answer === true) break;
      if (Date.now() > deadline) throw new Error(`${url} did not accept the seeded party within ${timeoutMs} ms: ${answer}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * ACTIVE tokens for `wallet` on fresh cards of the seeded issuer, by the documented bulk path
 * (docs/benchmarks.md): cards stored through the vault and tokens inserted through the tokens
 * repository, 100 per transaction — the API's own code, without HTTP or issuer round trips.
 */
export async function seedActiveTokens(world: Seeded, wallet: Required<Pick<SeededClient, 'clientId' | 'trid'>>, count: number, firstSerial: number): Promise<Array<{ tokenRef: string; pan: string }>> {
  const { services } = world;
  const cardRanges = services.identity.registry.allCardBinRanges();
  const tokenRange = world.issuer.tokenBinRanges[0]!;
  const made: Array<{ tokenRef: string; pan: string }> = [];
  for (let start = 0; start < count; start += 100) {
    await services.uow.transaction(async (tx) => {
      for (let n = start; n < Math.min(count, start + 100); n++) {
        const pan = soakPan(world.cardBin, firstSerial + n);
        registerTestPans(pan);
        const card = await services.vault.cards.storeCard(tx, { issuerId: world.issuer.issuerId, pan, expMonth: 12, expYear: new Date().getUTCFullYear() + 3 });
        const tokenPan = await services.vault.tokenNumbers.allocate(tx, { prefix: tokenRange.prefix, tokenLength: tokenRange.tokenLength }, cardRanges);
        const tokenRef = `tok_${randomBytes(12).toString('hex')}`;
        await tokensRepository.insert(tx, {
          tokenRef,
          tokenPan,
          tokenExpiry: { month: 12, year: new Date().getUTCFullYear() + 2 },
          cardRef: card.cardRef,
          issuerId: world.issuer.issuerId,
          trid: wallet.trid,
          requestorClientId: wallet.clientId,
          walletAccountId: `wa_soak_${n % 500}`,
          status: 'ACTIVE',
          assuranceMethod: '13',
          tokenLocation: '02',
          channels: ['nfc', 'in_app'],
          par: card.par,
        });
        made.push({ tokenRef, pan });
      }
    });
  }
  return made;
}

/**
 * Detokenize throughput and latency (DESIGN §8: ≥ 3,000/s on 2 cores, p99 ≤ 20 ms, every call
 * audited). Starts its own TSP through the composition root on a fresh database of the
 * Postgres server at DATABASE_URL (dropped afterwards), registers an issuer, a wallet and an
 * acquirer, pre-generates the cryptograms, then drives `POST /v1/detokenize` over keep-alive
 * HTTP/1.1 from a worker thread (its own core) at a fixed concurrency for a fixed duration.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres pnpm exec tsx services/tsp/bench/detokenize.bench.ts
 *
 * Knobs (env): BENCH_CONCURRENCY (32), BENCH_DURATION_S (10), BENCH_TOKENS (2,000: the default risk rules decline more than 60 uses of one token an hour),
 * BENCH_CRYPTOGRAMS (default: enough for 4,000/s over the duration, at most 200,000),
 * BENCH_POOL_SIZE (database pool, 20), LOG_LEVEL (warn). Only 127.0.0.1 is ever contacted.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { testPan } from '@opentsp/card';
import type { Server } from 'node:http';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { createServices, startBackgroundWork } from '../src/compose';
import { loadConfig } from '../src/config';
import type { ServiceContext } from '../src/context';
import type { Principal } from '../src/domain/principal';
import { createApp } from '../src/http/app';
import { createLogger } from '../src/observability/logger';
import { createMetrics } from '../src/observability/metrics';
import { openDatabase } from '../src/store/database';
import { migrateToLatest } from '../src/store/migrate';
import { tokensRepository } from '../src/store/tokens.repository';

const env = process.env;
const num = (name: string, fallback: number, max: number) => Math.min(max, Math.max(1, Number(env[name] ?? fallback) || fallback));
const CONCURRENCY = num('BENCH_CONCURRENCY', 32, 1_000);
const DURATION_S = num('BENCH_DURATION_S', 10, 600);
const TOKENS = num('BENCH_TOKENS', 2_000, 100_000);
const CRYPTOGRAMS = num('BENCH_CRYPTOGRAMS', Math.min(200_000, 4_000 * DURATION_S), 1_000_000);
const MERCHANT = '898310048160001';

async function main(): Promise<void> {
  const serverUrl = env.DATABASE_URL;
  if (!serverUrl) throw new Error('set DATABASE_URL to a Postgres server (a fresh database is created on it and dropped afterwards)');
  const dbName = `opentsp_bench_${randomBytes(4).toString('hex')}`;
  await admin(serverUrl, `create database ${dbName}`);
  const url = new URL(serverUrl);
  url.pathname = `/${dbName}`;
  try {
    await run(url.toString());
  } finally {
    await admin(serverUrl, `drop database if exists ${dbName} with (force)`);
  }
}

async function run(databaseUrl: string): Promise<void> {
  const config = loadConfig(
    { ...env, OPENTSP_MODE: 'sandbox', LOG_LEVEL: env.LOG_LEVEL ?? 'warn', OPENTSP_DATA_DIR: `/tmp/opentsp-bench-${process.pid}` },
    { databaseUrl, port: 0, host: '127.0.0.1' },
  );
  const logger = createLogger({ level: config.logLevel });
  const database = openDatabase({ connectionString: databaseUrl, poolSize: num('BENCH_POOL_SIZE', 20, 200) });
  await migrateToLatest(database.db);
  const ctx: ServiceContext = { config, logger, database, metrics: createMetrics() };
  const services = await createServices(ctx);
  const stopBackground = startBackgroundWork(services);
  const app = createApp({ ...ctx, services });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  server.keepAliveTimeout = 60_000;
  const address = server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  try {
    const system = { actor: { type: 'system' as const } };
    const issuer = await services.identity.issuers.create(system, {
      name: 'Bench Bank',
      country: 'CN',
      cardBinRanges: [{ prefix: '621377', panLength: 16 }],
      tokenBinRanges: [{ prefix: '628877', tokenLength: 16 }],
      standInDecision: 'approve',
    });
    const wallet = (await services.identity.clients.create(system, { role: 'wallet', name: 'Bench Wallet', tokenEndpointAuthMethod: 'client_secret_basic' })).client;
    const acquirer = (
      await services.identity.clients.create(system, {
        role: 'acquirer',
        name: 'Bench Acquirer',
        tokenEndpointAuthMethod: 'client_secret_basic',
        merchantIds: [MERCHANT],
        responseEncryption: { alg: 'A256GCMKW' },
      })
    ).client;
    const accessToken = services.identity.accessTokens.issue(acquirer, ['detokenize']).accessToken;

    process.stdout.write(`setup: ${TOKENS} tokens, ${CRYPTOGRAMS} cryptograms … `);
    const setupStart = Date.now();
    const tokenRefs: string[] = [];
    for (let i = 0; i < TOKENS; i++) {
      tokenRefs.push(
        await services.uow.transaction(async (tx) => {
          const card = await services.vault.cards.storeCard(tx, { issuerId: issuer.issuerId, pan: testPan({ prefix: '621377' }), expMonth: 12, expYear: 2031 });
          const tokenPan = await services.vault.tokenNumbers.allocate(tx, { prefix: '628877', tokenLength: 16 }, [{ prefix: '621377', panLength: 16 }]);
          const tokenRef = `tok_bench${String(i).padStart(11, '0')}`;
          await tokensRepository.insert(tx, {
            tokenRef, tokenPan, tokenExpiry: { month: 12, year: 2031 }, cardRef: card.cardRef, issuerId: issuer.issuerId,
            trid: wallet.trid!, requestorClientId: wallet.clientId, walletAccountId: 'wa_bench', status: 'ACTIVE',
            assuranceMethod: '13', tokenLocation: '02', channels: ['nfc', 'in_app', 'ecom'], par: card.par,
          });
          return tokenRef;
        }),
      );
    }
    const walletPrincipal: Principal = { clientId: wallet.clientId, role: 'wallet', scopes: ['tokens:cryptogram'], trid: wallet.trid! };
    const bodies: string[] = new Array(CRYPTOGRAMS);
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let i = next++; i < CRYPTOGRAMS; i = next++) {
          const c = await services.payments.createPaymentCredentials(walletPrincipal, tokenRefs[i % TOKENS]!, {
            amount: 100 + (i % 5000), currency: 'CNY', merchantId: MERCHANT, channel: 'nfc',
          });
          bodies[i] = JSON.stringify({ tokenPan: c.tokenPan, tokenExpiry: c.tokenExpiry, cryptogram: c.cryptogram, atc: c.atc, transaction: c.transaction });
        }
      }),
    );
    // Shuffle so consecutive requests hit different tokens, as real checkouts do.
    for (let i = bodies.length - 1; i > 0; i--) {
      const j = randomInt(i + 1);
      [bodies[i], bodies[j]] = [bodies[j]!, bodies[i]!];
    }
    console.log(`${((Date.now() - setupStart) / 1000).toFixed(1)} s`);

    const result = await drive({ base, accessToken, bodies, concurrency: CONCURRENCY, durationMs: DURATION_S * 1000 });
    const audited = await database.db
      .selectFrom('audit_entries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('action', '=', 'detokenize')
      .executeTakeFirstOrThrow();
    const rssMb = process.memoryUsage().rss / 2 ** 20;
    console.log(
      [
        `detokenize: concurrency ${CONCURRENCY}, ${DURATION_S} s, ${result.count} requests (${JSON.stringify(result.statuses)})`,
        `  throughput ${(result.count / result.seconds).toFixed(0)} req/s`,
        `  latency    p50 ${result.p50.toFixed(2)} ms   p95 ${result.p95.toFixed(2)} ms   p99 ${result.p99.toFixed(2)} ms   max ${result.max.toFixed(2)} ms`,
        `  audit entries (detokenize): ${audited.n}; TSP process RSS ${rssMb.toFixed(0)} MB (load generator thread included)`,
      ].join('\n'),
    );
  } finally {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await stopBackground();
    await services.identity.close();
    await database.close();
  }
}

interface DriveResult {
  count: number;
  seconds: number;
  statuses: Record<string, number>;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/**
 * The load generator, in a worker thread so it does not share the TSP's event loop: a fixed
 * number of loops, each sending its next pre-generated body as soon as the previous answer
 * arrived (closed loop), over a keep-alive `node:http` Agent, until the duration or the
 * bodies run out. Plain JavaScript (eval) so the worker needs no TypeScript loader.
 */
function drive(options: { base: string; accessToken: string; bodies: string[]; concurrency: number; durationMs: number }): Promise<DriveResult> {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const http = require('node:http');
    const { base, accessToken, bodies, concurrency, durationMs } = workerData;
    const target = new URL(base);
    if (target.hostname !== '127.0.0.1') throw new Error('the benchmark only talks to 127.0.0.1');
    const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
    const latencies = new Float64Array(bodies.length);
    const statuses = {};
    let next = 0, count = 0;
    const post = (body) => new Promise((resolve) => {
      const started = process.hrtime.bigint();
      const req = http.request({ host: '127.0.0.1', port: target.port, path: '/v1/detokenize', method: 'POST', agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: 'Bearer ' + accessToken } },
        (res) => { res.resume(); res.on('end', () => resolve([res.statusCode, Number(process.hrtime.bigint() - started) / 1e6])); });
      req.on('error', () => resolve(['error', Number(process.hrtime.bigint() - started) / 1e6]));
      req.end(body);
    });
    const begin = Date.now();
    const deadline = begin + durationMs;
    const loop = async () => {
      while (Date.now() < deadline && next < bodies.length) {
        const [status, ms] = await post(bodies[next++]);
        statuses[status] = (statuses[status] || 0) + 1;
        latencies[count++] = ms;
      }
    };
    Promise.all(Array.from({ length: concurrency }, loop)).then(() => {
      const seconds = (Date.now() - begin) / 1000;
      const sorted = latencies.subarray(0, count).sort();
      const q = (p) => sorted[Math.min(count - 1, Math.floor(p * count))] || 0;
      agent.destroy();
      parentPort.postMessage({ count, seconds, statuses, p50: q(0.5), p95: q(0.95), p99: q(0.99), max: sorted[count - 1] || 0 });
    });
  `;
  return new Promise((resolve, reject) => {
    const worker = new Worker(source, { eval: true, workerData: options });
    worker.once('message', (message: DriveResult) => {
      resolve(message);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

async function admin(serverUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);

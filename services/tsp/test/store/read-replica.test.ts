import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { loadConfig } from '../../src/config';
import { closeServices, createServices, type Services } from '../../src/compose';
import { createApp } from '../../src/http/app';
import { createLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { measureReplicaLag, openReplicaPool, readReplica, type ReadReplica } from '../../src/store/read-replica';
import { unitOfWork, type Executor } from '../../src/store/transaction';
import { CapturedLogs } from '../../../../test/support/tsp-harness';
import { bearer, createTestClient, tokenFor, type TestClient } from '../../../../test/support/clients';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/test-database';

/*
 * DATABASE_READ_URL (DESIGN §9): read-only paths use the replica while its sampled lag is within
 * OPENTSP_READ_MAX_LAG_MS, and the leader when it lags past it, is down, or was never sampled.
 * The default suite has no streaming replica, so the "replica" here is a second real database
 * on the same server: a replica that stopped replaying before the TSP wrote anything (stale by
 * construction, so which server answered is visible), with the lag told by a controllable lag
 * source. The real replica (HAProxy's replicas port of the HA cluster) is measured in
 * test/reliability/failover.test.ts.
 */

const currentDatabase = async (executor: Executor) => (await sql<{ name: string }>`select current_database() as name`.execute(executor)).rows[0]?.name;

describe('read replica routing', () => {
  let leader: TestDatabase;
  let stale: TestDatabase;
  beforeAll(async () => {
    [leader, stale] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  });
  afterAll(async () => {
    await Promise.all([leader?.drop(), stale?.drop()]);
  });

  function routing(lag: { ms: number | Error }, checkEveryMs = 60_000): ReadReplica & { samples: () => number } {
    let samples = 0;
    const replica = readReplica({
      leader: leader.db,
      replica: openReplicaPool({ readUrl: stale.url, databaseUrl: stale.url, poolSize: 2 }),
      maxLagMs: 2_000,
      checkEveryMs,
      logger: createLogger({ level: 'silent' }),
      lagSource: async () => {
        samples++;
        if (lag.ms instanceof Error) throw lag.ms;
        return lag.ms;
      },
    });
    return Object.assign(replica, { samples: () => samples });
  }

  it('sends reads to the replica within the lag bound, to the leader past it, when it is down, and before the first sample', async () => {
    const lag = { ms: 0 as number | Error };
    const replica = routing(lag);
    const uow = unitOfWork(leader.db, replica);
    try {
      expect(await currentDatabase(uow.reads)).toBe(leader.name); // not sampled yet: unknown → leader
      await replica.sample();
      expect(replica.state().reads).toBe('replica');
      expect(await currentDatabase(uow.reads)).toBe(stale.name);
      expect(await currentDatabase(uow.executor)).toBe(leader.name); // writes and decisions: always the leader

      lag.ms = 2_500;
      await replica.sample();
      expect(replica.state()).toMatchObject({ reads: 'lagging', lagMs: 2_500 });
      expect(await currentDatabase(uow.reads)).toBe(leader.name);

      lag.ms = new Error('connection refused');
      await replica.sample();
      expect(replica.state().reads).toBe('down');
      expect(await currentDatabase(uow.reads)).toBe(leader.name);

      lag.ms = 2_000; // exactly the bound: still fresh enough
      await replica.sample();
      expect(await currentDatabase(uow.reads)).toBe(stale.name);
    } finally {
      await replica.close();
    }
  });

  it('samples on a timer, not per request', async () => {
    const lag = { ms: 0 as number | Error };
    const replica = routing(lag, 200);
    const uow = unitOfWork(leader.db, replica);
    const started = Date.now();
    const stop = replica.start();
    try {
      for (let i = 0; i < 50; i++) await currentDatabase(uow.reads);
      // One sample at start, then one per tick, however many reads there were.
      expect(replica.samples()).toBeLessThanOrEqual(2 + Math.floor((Date.now() - started) / 200));
      lag.ms = 60_000; // the replica falls behind: the next tick moves reads to the leader
      await new Promise((r) => setTimeout(r, 1_000));
      expect(await currentDatabase(uow.reads)).toBe(leader.name);
    } finally {
      await stop();
      await replica.close();
    }
  });

  it('measures a server that is not in recovery as current, and keeps the replica pool read-only', async () => {
    const pool = openReplicaPool({ readUrl: stale.url, databaseUrl: stale.url, poolSize: 1 });
    try {
      expect(await measureReplicaLag(leader.db, pool.db)).toBe(0);
      await expect(sql`insert into opentsp_read_probe values (1)`.execute(pool.db)).rejects.toMatchObject({ code: expect.stringMatching(/^(25006|42P01)$/) });
      await expect(sql`create table opentsp_read_probe (id int)`.execute(pool.db)).rejects.toMatchObject({ code: '25006' });
    } finally {
      await pool.close();
    }
  });

  it('finds the replica down when nothing answers at its address, and reads go to the leader', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    const url = new URL(stale.url);
    url.port = String(closedPort);
    const replica = readReplica({
      leader: leader.db,
      replica: openReplicaPool({ readUrl: url.toString(), databaseUrl: stale.url, poolSize: 1 }),
      maxLagMs: 2_000,
      checkEveryMs: 60_000,
      logger: createLogger({ level: 'silent' }),
    });
    try {
      expect((await replica.sample()).reads).toBe('down');
      expect(await currentDatabase(unitOfWork(leader.db, replica).reads)).toBe(leader.name);
    } finally {
      await replica.close();
    }
  });
});

describe('read-only HTTP paths on the read replica', () => {
  let leader: TestDatabase;
  let stale: TestDatabase;
  let services: Services;
  let server: Server;
  let url: string;
  let admin: TestClient;
  let adminToken: string;
  let keysDir: string;
  const lag = { ms: 0 as number | Error };
  let replica: ReadReplica;

  beforeAll(async () => {
    [leader, stale] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    keysDir = mkdtempSync(path.join(tmpdir(), 'opentsp-keys-'));
    const config = loadConfig(
      { OPENTSP_MODE: 'sandbox', LOG_LEVEL: 'warn', OPENTSP_KEYSTORE_PATH: path.join(keysDir, 'keystore.jwe'), DATABASE_READ_URL: stale.url },
      { databaseUrl: leader.url, port: 0 },
    );
    const logger = createLogger({ level: config.logLevel, destination: new CapturedLogs().stream });
    replica = readReplica({
      leader: leader.db,
      replica: openReplicaPool({ readUrl: config.databaseReadUrl!, databaseUrl: stale.url, poolSize: 2 }),
      maxLagMs: config.readMaxLagMs,
      checkEveryMs: config.readLagCheckMs,
      logger,
      lagSource: async () => {
        if (lag.ms instanceof Error) throw lag.ms;
        return lag.ms;
      },
    });
    const ctx = { config, logger, database: leader, metrics: createMetrics(), readReplica: replica };
    services = await createServices(ctx);
    const app = createApp({ ...ctx, services });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const tsp = { url, services } as unknown as Parameters<typeof createTestClient>[0];
    admin = await createTestClient(tsp, { role: 'admin' }); // audited on the leader only
    adminToken = await tokenFor({ url }, admin);
  }, 120_000);

  afterAll(async () => {
    await new Promise<void>((resolve) => {
      server?.close(() => resolve());
      server?.closeAllConnections();
    });
    if (services) await closeServices(services);
    await replica?.close();
    await Promise.all([leader?.drop(), stale?.drop()]);
    rmSync(keysDir, { recursive: true, force: true });
  });

  const auditedClients = async () => {
    const res = await fetch(`${url}/v1/admin/audit?limit=100`, { headers: bearer(adminToken) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: unknown[] };
    return body.data.filter((e) => JSON.stringify(e).includes(admin.clientId)).length;
  };

  it('answers audit queries from the replica while it is within the bound, from the leader when it lags or is down', async () => {
    expect(await auditedClients()).toBeGreaterThan(0); // never sampled: the leader answers
    lag.ms = 100;
    await replica.sample();
    expect(await auditedClients()).toBe(0); // the (stale) replica answers: it never saw the client's creation
    lag.ms = 30_000;
    await replica.sample();
    expect(await auditedClients()).toBeGreaterThan(0);
    lag.ms = new Error('replica unreachable');
    await replica.sample();
    expect(await auditedClients()).toBeGreaterThan(0);
  });

  it('shows an auditor the entries its own list call had to chain: those are read from the leader', async () => {
    lag.ms = 100;
    await replica.sample();
    expect(await auditedClients()).toBe(0); // nothing left to chain: the (stale) replica answers
    // Registering a client appends an entry that is not chained yet; the next list chains it
    // and must show it, though the replica cannot have it yet.
    const tsp = { url, services } as unknown as Parameters<typeof createTestClient>[0];
    const merchant = await createTestClient(tsp, { role: 'acquirer' });
    const res = await fetch(`${url}/v1/admin/audit?limit=100`, { headers: bearer(adminToken) });
    const body = (await res.json()) as { data: unknown[] };
    expect(body.data.some((e) => JSON.stringify(e).includes(merchant.clientId))).toBe(true);
  });

  it('keeps deciding paths on the leader: a client registered while reads go to the replica can log in at once', async () => {
    lag.ms = 0;
    await replica.sample();
    const tsp = { url, services } as unknown as Parameters<typeof createTestClient>[0];
    const wallet = await createTestClient(tsp, { role: 'wallet' });
    await expect(tokenFor({ url }, wallet)).resolves.toEqual(expect.any(String));
  });
});

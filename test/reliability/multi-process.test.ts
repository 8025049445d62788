import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { registerTestPans } from '../support/leak-scan';
import { basicAuth, tokenFor } from '../support/clients';
import { encryptCardFor, testPan } from '../support/issuer-sim-harness';
import { startClusterTsp, type ClusterTsp } from './support/soak-cluster';
import { seed, sharedDatabase, untilKnownEverywhere, type Seeded, type SeededClient, type SharedDatabase } from './support/soak-world';
import { startTspProcess, type TspProcess } from './support/tsp-process';

/*
 * Several TSP processes on ONE database (issue #11, "Several processes"): two plain
 * `opentsp serve` processes (A, B) and one `serve --workers 2` cluster (C: a primary and two
 * workers), production mode, all started at once on an empty database (so they also race
 * each other through migrations, key-ring creation and default-rule seeding). Whatever one
 * process grants, another must not grant again: single-use cryptograms, single-use push
 * receipts, the shared rate limits and the risk engine's velocity counters all live in
 * Postgres, and these tests spread the attempts across the processes to prove it.
 */

// Small limits so a test can spend them. `auth`, `guessable` and the push failure budget are
// documented as shared by all processes; `default` (and `hot`) as per process.
const ENV = {
  // One public URL for all, as behind a load balancer: it is the access tokens' `iss` / `aud`
  // (the default, http://localhost:<port>, differs per process and would make a token issued
  // by one process invalid at the others).
  OPENTSP_PUBLIC_URL: 'https://tsp.multi-process.test',
  // Four serving processes share one Postgres (max_connections 100 here) with other test runs.
  DATABASE_POOL_SIZE: '4',
  OPENTSP_RATE_LIMIT_AUTH: '8/60',
  OPENTSP_RATE_LIMIT_AUTH_IP: '100000/60',
  OPENTSP_RATE_LIMIT_GUESSABLE: '20/60',
  OPENTSP_RATE_LIMIT_DEFAULT: '40/60',
  // Above the 8 refusals of the concurrent redemption test (they count as failed redemptions).
  OPENTSP_PUSH_REDEEM_FAILURE_BUDGET: '10',
  OPENTSP_ISSUER_TIMEOUT_MS: '2000',
  OPENTSP_WEBHOOK_BACKOFF_BASE_MS: '200',
};
const FUTURE_YEAR = new Date().getUTCFullYear() + 2;
const TRANSACTION = { amount: 12_800, currency: 'CNY', merchantId: '898310048160001', channel: 'in_app' };

interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

async function call(baseUrl: string, method: string, path: string, bearerToken: string, body?: unknown): Promise<Answer> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { Authorization: `Bearer ${bearerToken}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

const tally = (answers: Answer[]) => {
  const counts: Record<string, number> = {};
  for (const a of answers) {
    const key = `${a.status}${typeof a.body.code === 'string' ? ` ${a.body.code}` : ''}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
};

/** Figures for docs/reliability.md, written to .test-artifacts/reliability/multi-process-summary.json. */
const figures: Record<string, unknown> = {};
const SUMMARY = path.resolve(__dirname, '..', '..', '.test-artifacts', 'reliability', 'multi-process-summary.json');

describe('several TSP processes on one database', () => {
  let shared: SharedDatabase;
  let a: TspProcess;
  let b: TspProcess;
  let c: ClusterTsp;
  let world: Seeded;
  /** Every serving entry point: A, B and the cluster C (requests to C land on either worker). */
  let urls: string[];

  beforeAll(async () => {
    const started = Date.now();
    shared = await sharedDatabase({ migrate: false });
    const common = { databaseUrl: shared.db.url, keystore: shared.keystore, env: ENV };
    // All at once on an empty database: migrations, the TSP key ring, KEK version 1 and the
    // default risk rules are each created by whichever process wins, once.
    const starts = await Promise.allSettled([
      startTspProcess({ ...common, label: 'multi-process A', readyTimeoutMs: 120_000 }),
      startTspProcess({ ...common, label: 'multi-process B', readyTimeoutMs: 120_000 }),
      startClusterTsp({ ...common, workers: 2, label: 'multi-process C (cluster)', readyTimeoutMs: 120_000 }),
    ] as const);
    const [sa, sb, sc] = starts;
    if (sa.status === 'fulfilled') a = sa.value;
    if (sb.status === 'fulfilled') b = sb.value;
    if (sc.status === 'fulfilled') c = sc.value;
    const failedStart = starts.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failedStart) throw failedStart.reason; // afterAll stops the ones that did start
    urls = [a.baseUrl, b.baseUrl, c.baseUrl];
    figures.processes = { plain: 2, cluster: { primary: 1, workers: c.workerPids().length }, startedTogetherMs: Date.now() - started };
    world = await seed(shared, a.baseUrl);
  }, 180_000);

  afterAll(async () => {
    const stops = [a?.stop(), b?.stop(), c?.stop()].filter(Boolean);
    const results = await Promise.allSettled(stops);
    await world?.close();
    await shared?.close();
    mkdirSync(path.dirname(SUMMARY), { recursive: true });
    writeFileSync(SUMMARY, `${JSON.stringify({ at: new Date().toISOString(), ...figures }, null, 2)}\n`);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }, 60_000);

  /** A wallet of its own (own quotas, own velocity keys), known to every process, with a token. */
  async function walletEverywhere(options: { appUri?: string } = {}): Promise<SeededClient & { token: string }> {
    const wallet = await world.client({ role: 'wallet', ...options });
    const token = await tokenFor({ url: a.baseUrl }, wallet);
    await untilKnownEverywhere(urls, async (url) => {
      const probe = await call(url, 'GET', '/v1/tokens?walletAccountId=wa_probe&limit=1', token);
      return probe.status === 200 || `${probe.status} ${JSON.stringify(probe.body)}`;
    });
    return { ...wallet, token };
  }

  async function provisionAt(baseUrl: string, walletToken: string, pan: string, device: Record<string, unknown>, walletAccountId: string): Promise<Answer> {
    registerTestPans(pan);
    const encryptedCard = await encryptCardFor(baseUrl, { pan, expMonth: 12, expYear: FUTURE_YEAR, cvv2: '123' });
    return call(baseUrl, 'POST', '/v1/tokens', walletToken, { encryptedCard, walletAccountId, device, tokenLocation: '02', channel: 'nfc' });
  }

  it('started together on an empty database: one schema, one key ring, one default rule set', async () => {
    const jwks = await Promise.all(urls.map(async (url) => (await (await fetch(`${url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> }));
    const kids = jwks.map((set) => set.keys.map((k) => k.kid).sort());
    expect(kids[0]!.length).toBeGreaterThan(0);
    expect(kids[1]).toEqual(kids[0]);
    expect(kids[2]).toEqual(kids[0]);
    const once = await sql<{ rule_sets: number; rule_set_version: number; keks: number; default_rules: number }>`
      select (select count(*)::int from risk_rule_set) as rule_sets,
             (select max(version)::int from risk_rule_set) as rule_set_version,
             (select count(*)::int from kek_versions) as keks,
             (select count(*)::int from risk_rules) as default_rules`.execute(shared.db.db);
    expect(once.rows[0]).toEqual({ rule_sets: 1, rule_set_version: 1, keks: 1, default_rules: 57 });
  });

  describe('cryptograms and push receipts are single-use across processes', () => {
    let wallet: SeededClient & { token: string };
    let acquirerToken: string;
    let tokenRef: string;

    beforeAll(async () => {
      wallet = await walletEverywhere();
      acquirerToken = await tokenFor({ url: b.baseUrl }, world.acquirer);
      const provisioned = await provisionAt(a.baseUrl, wallet.token, testPan(world.cardBin, '234'), { id: `dev_${randomBytes(6).toString('hex')}`, type: 'phone', os: 'android', score: 90 }, 'wa_payer');
      expect(provisioned.status).toBe(201);
      expect(provisioned.body.status).toBe('ACTIVE');
      tokenRef = provisioned.body.tokenRef as string;
    }, 60_000);

    const cryptogramAt = async (baseUrl: string) => {
      const res = await call(baseUrl, 'POST', `/v1/tokens/${tokenRef}/cryptograms`, wallet.token, TRANSACTION);
      expect(res.status).toBe(201);
      const { tokenPan, tokenExpiry, cryptogram, atc, transaction } = res.body;
      return { tokenPan, tokenExpiry, cryptogram, atc, transaction };
    };

    it('a cryptogram used at A is refused when replayed at B and at the cluster', async () => {
      const credentials = await cryptogramAt(a.baseUrl);
      const first = await call(a.baseUrl, 'POST', '/v1/detokenize', acquirerToken, credentials);
      expect(first.status).toBe(200);
      for (const url of [b.baseUrl, c.baseUrl, a.baseUrl]) {
        const replay = await call(url, 'POST', '/v1/detokenize', acquirerToken, credentials);
        expect({ url, status: replay.status, code: replay.body.code }).toEqual({ url, status: 409, code: 'atc_replayed' });
      }
    });

    it('one cryptogram sent at once to every process (4 copies each): exactly one is granted', async () => {
      for (let round = 0; round < 3; round++) {
        const credentials = await cryptogramAt(urls[round % urls.length]!);
        const answers = await Promise.all(urls.flatMap((url) => Array.from({ length: 4 }, () => call(url, 'POST', '/v1/detokenize', acquirerToken, credentials))));
        figures.cryptogramConcurrentReplays = [...((figures.cryptogramConcurrentReplays as unknown[]) ?? []), tally(answers)];
        expect(tally(answers)).toEqual({ '200': 1, '409 atc_replayed': 11 });
        // Every answer is in the audit log once: the one grant and each refused replay.
        const audited = await shared.db.db
          .selectFrom('audit_entries')
          .select(['outcome', sql<string>`details->>'code'`.as('code')])
          .where('action', '=', 'detokenize')
          .where('subject_id', '=', tokenRef)
          .where(sql`details->>'atc'`, '=', String(credentials.atc))
          .execute();
        expect(tally(audited.map((e) => ({ status: e.outcome === 'success' ? 200 : 409, body: e.code ? { code: e.code } : {}, headers: new Headers() })))).toEqual({ '200': 1, '409 atc_replayed': 11 });
      }
    });

    it('a push receipt redeemed at once at every process (3 tries each) makes one token; the others get receipt_already_redeemed', async () => {
      const issuerToken = await tokenFor({ url: b.baseUrl }, world.issuerClient);
      const pusher = await walletEverywhere({ appUri: 'opentspwallet://push' }); // push needs a deep link target
      const pan = testPan(world.cardBin, '345');
      registerTestPans(pan);
      const receipt = await call(b.baseUrl, 'POST', '/v1/push-receipts', issuerToken, {
        encryptedCard: await encryptCardFor(b.baseUrl, { pan, expMonth: 12, expYear: FUTURE_YEAR }),
        trid: pusher.trid,
        walletAccountId: 'wa_pushed',
      });
      expect({ status: receipt.status, code: receipt.body.code }).toEqual({ status: 201, code: undefined });
      const redeem = { pushReceipt: receipt.body.pushReceipt, walletAccountId: 'wa_pushed', device: { id: 'dev_pushed', type: 'phone', os: 'ios' } };
      const answers = await Promise.all(urls.flatMap((url) => Array.from({ length: 3 }, () => call(url, 'POST', '/v1/tokens', pusher.token, redeem))));
      figures.pushConcurrentRedemption = tally(answers);
      expect(tally(answers)).toEqual({ '201': 1, '409 receipt_already_redeemed': 8 });
      const winner = answers.find((x) => x.status === 201)!;
      expect(winner.body).toMatchObject({ status: 'ACTIVE', assuranceMethod: '14', card: { cardRef: receipt.body.cardRef } });
      const tokens = await shared.db.db.selectFrom('tokens').select('token_ref').where('card_ref', '=', receipt.body.cardRef as string).execute();
      expect(tokens.map((t) => t.token_ref)).toEqual([winner.body.tokenRef]);
    });
  });

  describe('rate limits', () => {
    it('auth (token endpoint, failed logins per client id and source): 8 per minute across all processes, not 8 per process', async () => {
      const client = await world.client({ role: 'wallet' });
      const tokenRequest = async (url: string, secret: string): Promise<Answer> => {
        const res = await fetch(`${url}/oauth2/token`, {
          method: 'POST',
          headers: { Authorization: basicAuth(client.clientId, secret), 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'client_credentials' }),
        });
        return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
      };
      // Successes are not counted: more than the budget of good logins all pass.
      const good = await Promise.all(Array.from({ length: 12 }, (_, i) => tokenRequest(urls[i % urls.length]!, client.clientSecret)));
      expect(tally(good)).toEqual({ '200': 12 });
      const answers = await Promise.all(Array.from({ length: 24 }, (_, i) => tokenRequest(urls[i % urls.length]!, 'x'.repeat(43))));
      figures.authLimit = { limit: '8 failures/60 s per client id and source', requests: 24, answers: tally(answers) };
      expect(tally(answers)).toEqual({ '401 invalid_client': 8, '429 rate_limited': 16 });
      const refused = answers.find((x) => x.status === 429)!;
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(refused.headers.get('ratelimit-policy')).toBe('"auth-failures";q=8;w=60');
    });

    it('guessable (OTP confirmation, per client): 20 per minute across all processes', async () => {
      const wallet = await walletEverywhere();
      const confirm = { challengeId: `chl_${randomBytes(12).toString('hex')}`, code: '123456' };
      const answers = await Promise.all(
        Array.from({ length: 60 }, (_, i) => call(urls[i % urls.length]!, 'POST', `/v1/tokens/tok_${randomBytes(12).toString('hex')}/verification/confirm`, wallet.token, confirm)),
      );
      const counts = tally(answers);
      figures.guessableLimit = { limit: '20/60 per client', requests: 60, answers: counts };
      expect(counts['429 rate_limited']).toBe(40);
      // The 20 that passed the limiter reached the handler (an unknown token: not found).
      expect(Object.entries(counts).filter(([k]) => !k.startsWith('429')).reduce((n, [, v]) => n + v, 0)).toBe(20);
      expect(answers.find((x) => x.status === 429)!.headers.get('ratelimit-policy')).toBe('"guessable";q=20;w=60');
    });

    it('push redemption failure budget (per requestor): 10 failures across all processes, then 429', async () => {
      const wallet = await walletEverywhere();
      const answers: Answer[] = [];
      for (let i = 0; i < 13; i++) {
        const bogus = { pushReceipt: randomBytes(32).toString('base64url'), walletAccountId: 'wa_guesser' };
        answers.push(await call(urls[i % urls.length]!, 'POST', '/v1/tokens', wallet.token, bogus));
      }
      expect(answers.map((x) => `${x.status} ${x.body.code}`)).toEqual([...Array(10).fill('404 receipt_not_found'), ...Array(3).fill('429 rate_limited')]);
    });

    // Guesses sent at once all pass the budget check before any failure is counted; each
    // failure is then counted atomically and answered by its place in the count, so no more
    // than the budget is ever answered receipt_not_found, whatever the concurrency.
    it('push redemption failure budget holds under concurrency: 24 simultaneous guesses, at most 10 answered receipt_not_found', async () => {
      const wallet = await walletEverywhere();
      const answers = await Promise.all(
        Array.from({ length: 24 }, (_, i) => call(urls[i % urls.length]!, 'POST', '/v1/tokens', wallet.token, { pushReceipt: randomBytes(32).toString('base64url'), walletAccountId: 'wa_guesser' })),
      );
      const counts = tally(answers);
      figures.pushBudgetConcurrent = { budget: 10, guessableLimit: 20, concurrentGuesses: 24, answers: counts };
      expect(counts).toEqual({ '404 receipt_not_found': 10, '429 rate_limited': 14 });
    });

    it('default class is a budget per process, as documented: two processes together grant more than one quota', async () => {
      const wallet = await walletEverywhere();
      const list = (url: string) => call(url, 'GET', '/v1/tokens?walletAccountId=wa_lister&limit=1', wallet.token);
      // What is left of each process's quota (the probes spent some): RateLimit `r=`.
      const remaining = async (url: string) => Number(/;r=(\d+)/.exec((await list(url)).headers.get('ratelimit') ?? '')?.[1] ?? NaN);
      const left = [await remaining(a.baseUrl), await remaining(b.baseUrl)];
      expect(left[0]).toBeGreaterThan(30);
      expect(left[1]).toBeGreaterThan(30);
      const answers = await Promise.all([a.baseUrl, b.baseUrl].flatMap((url) => Array.from({ length: 50 }, () => list(url))));
      // Each process grants exactly what its own counter has left: together more than 40.
      figures.defaultLimitPerProcess = { limit: '40/60 per client per process', leftBefore: left, requests: 100, answers: tally(answers) };
      expect(tally(answers)).toEqual({ '200': left[0]! + left[1]!, '429 rate_limited': 100 - left[0]! - left[1]! });
    });
  });

  describe('risk velocity counts attempts at every process', () => {
    const rows = (deviceId: string) =>
      shared.db.db
        .selectFrom('risk_decisions')
        .select(['risk_outcome', 'reason_codes', sql<number>`(signals->>'velocity.provisioningPerDevice1h')::int`.as('perDevice')])
        .where('kind', '=', 'provisioning')
        .where(sql`signals->>'device.id'`, '=', deviceId)
        .orderBy('pk')
        .execute();

    it('one device, 8 cards, attempts spread A, B, C, A, …: counted 1…8; above 6 the device is declined', async () => {
      const wallet = await walletEverywhere();
      const device = { id: `dev_vel_${randomBytes(6).toString('hex')}`, type: 'phone', os: 'android', score: 90 };
      const answers: Answer[] = [];
      for (let i = 0; i < 8; i++) {
        answers.push(await provisionAt(urls[i % urls.length]!, wallet.token, testPan(world.cardBin, '234'), device, 'wa_velocity'));
      }
      expect(answers.map((x) => x.status)).toEqual([201, 201, 201, 201, 201, 201, 403, 403]);
      expect(answers[6]!.body).toMatchObject({ code: 'provisioning_declined' });
      expect(answers[6]!.body.reasonCodes).toContain('velocity_device_1h');
      // Attempts 4–6: more than 3 from the device in an hour is a step-up (token INACTIVE).
      expect(answers.slice(3, 6).map((x) => x.body.status)).toEqual(['INACTIVE', 'INACTIVE', 'INACTIVE']);
      const decisions = await rows(device.id);
      figures.velocitySequential = { statuses: answers.map((x) => x.status), countedPerDevice1h: decisions.map((d) => d.perDevice) };
      expect(decisions.map((d) => d.perDevice)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(decisions[3]!.reason_codes).toContain('velocity_device_1h_step_up');
    }, 60_000);

    it('the same 8 attempts sent at once to all processes: every count 1…8 seen once, exactly two declined', async () => {
      const wallet = await walletEverywhere();
      const device = { id: `dev_velc_${randomBytes(6).toString('hex')}`, type: 'phone', os: 'android', score: 90 };
      const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => provisionAt(urls[i % urls.length]!, wallet.token, testPan(world.cardBin, '234'), device, 'wa_velocity_c')));
      figures.velocityConcurrent = tally(answers);
      expect(tally(answers)).toEqual({ '201': 6, '403 provisioning_declined': 2 });
      const decisions = await rows(device.id);
      expect(decisions.map((d) => d.perDevice).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(decisions.filter((d) => d.perDevice > 6).every((d) => d.risk_outcome === 'decline' && d.reason_codes.includes('velocity_device_1h'))).toBe(true);
    }, 60_000);
  });
});

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { basicAuth, createTestClient, createTestIssuer, createTestParties, tokenFor } from '../support/clients';
import { registerTestPans } from '../support/leak-scan';
import { startTestTsp, type TestTsp } from '../support/tsp-harness';
import { FUZZ_PANS } from './fuzz/hostile-inputs';
import { judge, type FuzzResponse } from './fuzz/oracle';
import { KNOWN_FINDINGS } from './fuzz/known-findings';
import { requestArbitrary, type FuzzCredentials, type FuzzRequest, type KnownIds } from './fuzz/request-arbitrary';
import { loadSpecModel, type Operation } from './fuzz/spec-model';

/**
 * Contract fuzzing (issue 11): every operation of openapi/tsp.yaml gets requests generated from
 * its schemas — valid, boundary and mutated, with real, foreign, tampered and no credentials —
 * and every answer must be a non-5xx, spec-conforming response (the TSP validates its own
 * responses here, so a drift is a 500), every error a problem with a contract `code`, with no
 * echoed marker and no card number. Quick form in `pnpm test`; `pnpm test:reliability` sets
 * OPENTSP_FUZZ_RUNS=50000.
 */
const TOTAL_RUNS = Number(process.env.OPENTSP_FUZZ_RUNS ?? 2_000);
const SEED = Number(process.env.OPENTSP_FUZZ_SEED ?? Date.now() % 2 ** 31);
const CONCURRENCY = 8;
const REQUEST_TIMEOUT_MS = 10_000;
const ARTIFACTS = path.resolve(__dirname, '..', '..', '.test-artifacts', 'reliability');

interface Violation {
  operationId: string;
  rules: string[];
  request: FuzzRequest;
  response: { status: number; body: string };
}

async function send(baseUrl: string, req: FuzzRequest): Promise<FuzzResponse> {
  const started = performance.now();
  const res = await fetch(`${baseUrl}${req.url}`, {
    method: req.method,
    headers: req.headers,
    ...(req.body !== undefined && req.method !== 'GET' ? { body: req.body } : {}),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const body = await res.text();
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', requestIdHeader: res.headers.get('x-request-id'), body, ms: performance.now() - started };
}

async function inPool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let item = queue.shift(); item; item = queue.shift()) await work(item);
  }));
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number) : 0;
}

describe('contract fuzzing of every operation', () => {
  let tsp: TestTsp;
  let creds: FuzzCredentials;
  let known: KnownIds;
  const spec = loadSpecModel();

  beforeAll(async () => {
    registerTestPans(...FUZZ_PANS);
    // Limits far above the fuzz rate, so requests reach the handlers (429s are still judged).
    tsp = await startTestTsp({
      OPENTSP_RATE_LIMIT_AUTH: '1000000/60',
      OPENTSP_RATE_LIMIT_AUTH_IP: '1000000/60',
      OPENTSP_RATE_LIMIT_GUESSABLE: '1000000/60',
      OPENTSP_RATE_LIMIT_DEFAULT: '1000000/1',
      OPENTSP_RATE_LIMIT_HOT: '1000000/1',
      LOG_LEVEL: 'info',
    });
    const parties = await createTestParties(tsp);
    const [walletToken, issuerToken, acquirerToken, adminToken] = await Promise.all(
      [parties.wallet, parties.issuerClient, parties.acquirer, parties.admin].map((c) => tokenFor(tsp, c)),
    );
    const byScope: Record<string, string> = {};
    for (const scope of ['tokens:provision', 'tokens:read', 'tokens:manage', 'tokens:cryptogram']) byScope[scope] = walletToken as string;
    for (const scope of ['push:create', 'issuer:tokens', 'issuer:cards']) byScope[scope] = issuerToken as string;
    byScope.detokenize = acquirerToken as string;
    byScope.admin = adminToken as string;
    creds = {
      tokenForScope: byScope,
      anyTokens: [walletToken, issuerToken, acquirerToken, adminToken] as string[],
      basic: [basicAuth(parties.wallet.clientId, parties.wallet.clientSecret), basicAuth(parties.admin.clientId, 'wrong-secret'), basicAuth('cli_doesnotexist00000000', 'x')],
    };
    // Victims for path parameters: real ids the fuzzer may suspend, rotate or patch, never the fuzzer's own clients.
    const victimIssuer = await createTestIssuer(tsp);
    const victims = await Promise.all([createTestClient(tsp, { role: 'wallet' }), createTestClient(tsp, { role: 'issuer', issuerId: victimIssuer.issuerId })]);
    known = { issuerId: [victimIssuer.issuerId], clientId: victims.map((v) => v.clientId) };
  }, 60_000);

  afterAll(async () => {
    await tsp?.close();
  });

  // Finding of the fuzzer, kept failing on purpose until the owners fix it (see fuzz/known-findings.ts).
  it('lists the audit log as the contract describes it (every subject.type in the enum)', async () => {
    const admin = creds.tokenForScope.admin as string;
    const res = await fetch(`${tsp.url}/v1/admin/audit?limit=200`, { headers: { Authorization: `Bearer ${admin}` } });
    expect(res.status).toBe(200);
  });

  it(
    `answers ${TOTAL_RUNS} generated requests without a 5xx, a shapeless error, an echo or card data`,
    async () => {
      const operations: Operation[] = spec.operations;
      const perOperation = Math.max(1, Math.ceil(TOTAL_RUNS / operations.length));
      const violations: Violation[] = [];
      const knownHits: Record<string, number> = {};
      const notImplemented = new Map<string, number>();
      const statuses: Record<string, number> = {};
      const latencies: number[] = [];
      let sent = 0;

      await inPool(operations, CONCURRENCY, async (op) => {
        await fc.assert(
          fc.asyncProperty(requestArbitrary(op, spec.resolve, creds, known), async (req) => {
            let res: FuzzResponse;
            try {
              res = await send(tsp.url, req);
            } catch (err) {
              res = { status: 0, contentType: '', requestIdHeader: null, body: `no answer: ${String(err)}`, ms: REQUEST_TIMEOUT_MS };
            }
            sent++;
            latencies.push(res.ms);
            statuses[String(res.status)] = (statuses[String(res.status)] ?? 0) + 1;
            if (res.status === 501) notImplemented.set(op.operationId, (notImplemented.get(op.operationId) ?? 0) + 1);
            const rules = res.status === 0 ? ['no answer within 10 s (hang or reset)'] : judge(req, res, spec.problemCodes, FUZZ_PANS);
            if (!rules.length) return;
            const finding = KNOWN_FINDINGS.find((f) => f.matches(op, req, res));
            if (finding) {
              knownHits[finding.id] = (knownHits[finding.id] ?? 0) + 1;
              return;
            }
            violations.push({ operationId: op.operationId, rules, request: { ...req, body: req.body?.slice(0, 300) }, response: { status: res.status, body: res.body.slice(0, 400) } });
          }),
          { numRuns: perOperation, seed: SEED, endOnFailure: true },
        );
      });

      latencies.sort((a, b) => a - b);
      const summary = {
        seed: SEED,
        operations: operations.length,
        requests: sent,
        statuses,
        fiveHundreds: Object.entries(statuses).filter(([s]) => Number(s) >= 500 && s !== '501').reduce((n, [, c]) => n + c, 0),
        notImplemented: Object.fromEntries(notImplemented),
        knownFindings: knownHits,
        violations: violations.length,
        latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) ?? 0 },
      };
      mkdirSync(ARTIFACTS, { recursive: true });
      writeFileSync(path.join(ARTIFACTS, 'fuzz-summary.json'), JSON.stringify({ ...summary, firstViolations: violations.slice(0, 50) }, null, 2));

      expect(sent).toBeGreaterThanOrEqual(TOTAL_RUNS);
      // Reproduce with OPENTSP_FUZZ_SEED=<seed>; details in .test-artifacts/reliability/fuzz-summary.json.
      expect({ seed: SEED, violations: violations.slice(0, 10) }).toEqual({ seed: SEED, violations: [] });
    },
    Math.max(120_000, TOTAL_RUNS * 60),
  );
});

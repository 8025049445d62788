import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { profileMarkdown, summarizeCpuProfile, type ProfileSummary } from './cpu-profile';
import { buildCompiledTsp, type RunningProcess } from './environment';
import { runLoad, type LoadResult } from './load';
import { accessToken, collect, provisioningBodies } from './pregenerate';
import { seedBench } from './seeded-bench';

/**
 * `pnpm --filter @opentsp/tsp exec tsx bench/profile-provisioning.ts [--seconds S]`: where the
 * CPU goes on the two token-creating paths, provisioning (with the issuer-sim deciding over
 * HTTP) and push-receipt redemption. Like bench/profile.ts: one compiled worker under
 * `node --cpu-prof`, 32 (provisioning) / 16 (push) connections, 3 s of warm-up, then the
 * measured window; the issuer-sim runs under the profiler too, summarised for the
 * provisioning window, so a bottleneck on the bank's side shows. Only 127.0.0.1; bounded.
 */
const WARM_UP_SECONDS = 3;

async function main(args: string[]): Promise<number> {
  const at = args.indexOf('--seconds');
  const seconds = at >= 0 ? Number(args[at + 1]) : 10;
  const bench = await seedBench({ name: 'profile-prov', tokens: 2_000, issuerSimNodeArgs: (work) => ['--cpu-prof', `--cpu-prof-dir=${path.join(work, 'issuer-sim')}`] });
  const { work, services, parties, tokens } = bench;
  const simDir = path.join(work, 'issuer-sim');
  try {

    const entry = buildCompiledTsp();
    const nowUs = () => Number(process.hrtime.bigint() / 1000n);
    let simWindow = { fromUs: 0, toUs: 0 };
    const profiled = async (name: string, load: (tsp: RunningProcess, measured: number) => Promise<LoadResult>, onWindow?: (w: { fromUs: number; toUs: number }) => void) => {
      const dir = path.join(work, name);
      const tsp = await bench.start(entry, ['serve'], {}, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
      await load(tsp, WARM_UP_SECONDS);
      const fromUs = nowUs();
      const result = await load(tsp, seconds);
      const toUs = nowUs();
      onWindow?.({ fromUs, toUs });
      await tsp.stop();
      const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
      if (!file) throw new Error(`no .cpuprofile written in ${dir}`);
      return { result, summary: summarizeCpuProfile(path.join(dir, file), { fromUs, toUs }, 25) };
    };

    let bodies: string[] = [];
    let next = 0;
    const prov = await profiled(
      'provisioning',
      async (tsp, duration) => {
        if (!bodies.length) bodies = await provisioningBodies(tsp.url, tokens.length + 1, 600 * (seconds + WARM_UP_SECONDS));
        const token = await accessToken(tsp.url, parties.wallet.clientId, parties.wallet.clientSecret);
        return runLoad({ name: 'provision @32 (1 worker, profiled)', url: `${tsp.url}/v1/tokens`, method: 'POST', headers: { authorization: `Bearer ${token}` }, connections: 32, durationSeconds: duration, expectStatus: 201, body: () => bodies[next++ % bodies.length]! });
      },
      (w) => (simWindow = w),
    );
    process.stderr.write(`provisioning: ${prov.result.rps}/s\n`);

    let receipts: Array<{ pushReceipt: string }> = [];
    let nextReceipt = 0;
    const push = await profiled('push', async (tsp, duration) => {
      if (!receipts.length) {
        const issuerToken = await accessToken(tsp.url, parties.issuerClient.clientId, parties.issuerClient.clientSecret);
        receipts = await collect<{ pushReceipt: string }>(600 * (seconds + WARM_UP_SECONDS), 16, (i) =>
          fetch(`${tsp.url}/v1/push-receipts`, {
            method: 'POST',
            headers: { authorization: `Bearer ${issuerToken}`, 'content-type': 'application/json' },
            body: JSON.stringify({ cardRef: tokens[i % tokens.length]!.cardRef, trid: parties.wallet.trid }),
          }),
        );
      }
      const token = await accessToken(tsp.url, parties.wallet.clientId, parties.wallet.clientSecret);
      return runLoad({
        name: 'push redemption @16 (1 worker, profiled)',
        url: `${tsp.url}/v1/tokens`,
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        connections: 16,
        durationSeconds: duration,
        expectStatus: 201,
        body: () => JSON.stringify({ pushReceipt: receipts[nextReceipt++ % receipts.length]!.pushReceipt, walletAccountId: `bench-push-${nextReceipt}` }),
      });
    });
    process.stderr.write(`push: ${push.result.rps}/s\n`);
    await bench.closeSeeding();
    await bench.issuerSim.stop();
    const simFile = readdirSync(simDir).find((f) => f.endsWith('.cpuprofile'));
    const sim = simFile ? summarizeCpuProfile(path.join(simDir, simFile), simWindow, 20) : undefined;

    const section = (title: string, r: { result: LoadResult; summary: ProfileSummary }) =>
      profileMarkdown(
        title,
        r.summary,
        `${r.result.rps}/s for ${seconds} s after ${WARM_UP_SECONDS} s of warm-up (p99 ${r.result.p99} ms, ${r.result.errors} errors, ${r.result.non2xx} unexpected statuses), one compiled worker under --cpu-prof; ` +
          `the worker's CPU per request: ${(r.summary.busyMs / Math.max(1, r.result.requests)).toFixed(2)} ms.`,
      );
    const parts = [section('Provisioning, one worker', prov), '', section('Push redemption, one worker', push)];
    if (sim) parts.push('', profileMarkdown('issuer-sim during the provisioning window', sim, `busy ${sim.busyMs.toFixed(0)} ms of ${sim.totalMs.toFixed(0)} ms; per provisioning: ${(sim.busyMs / Math.max(1, prov.result.requests)).toFixed(2)} ms.`));
    const markdown = parts.join('\n');
    const resultsDir = path.join(__dirname, 'results');
    mkdirSync(resultsDir, { recursive: true });
    const jsonPath = path.join(resultsDir, `profile-provisioning-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(jsonPath, `${JSON.stringify({ seconds, provisioning: prov, push, issuerSim: sim }, null, 2)}\n`);
    process.stdout.write(`\n${markdown}\n\nresults: ${jsonPath}\n`);
    const errors = prov.result.errors + prov.result.non2xx + push.result.errors + push.result.non2xx;
    return errors > 0 ? 1 : 0;
  } finally {
    await bench.dispose();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);

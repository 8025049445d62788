import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { profileMarkdown, summarizeCpuProfile, type ProfileSummary } from './cpu-profile';
import { buildCompiledTsp, type RunningProcess } from './environment';
import { runLoad, type LoadResult } from './load';
import { accessToken, detokenizeBodies, provisioningBodies, TRANSACTION } from './pregenerate';
import { ProgressBar } from './progress';
import { seedBench } from './seeded-bench';

/**
 * `pnpm bench --profile [--seconds S]`: where one TSP worker spends its CPU on the two hot
 * paths. For each of detokenize and provisioning, a fresh single-process TSP (`opentsp serve`,
 * compiled as in production; frames are mapped back to our sources through the source map)
 * runs under `node --cpu-prof` while autocannon drives that path alone at 32 connections:
 * 3 s of warm-up (JIT, lazily compiled validators), then the measured window. The
 * `.cpuprofile` written at exit is summarised for that window by self time per function and
 * per module (bench/cpu-profile.ts). Only 127.0.0.1; bounded.
 */
const WARM_UP_SECONDS = 3;

export async function runProfile(args: string[]): Promise<number> {
  const at = args.indexOf('--seconds');
  const seconds = at >= 0 ? Number(args[at + 1]) : 15;
  // `--paths detokenize,cryptogram,list,provisioning` (default: detokenize,provisioning).
  const pathsAt = args.indexOf('--paths');
  const paths = new Set((pathsAt >= 0 ? args[pathsAt + 1]! : 'detokenize,provisioning').split(','));
  // `--keep`: the raw `.cpuprofile` files are copied next to the summary (for Chrome DevTools'
  // call tree, or for inclusive times the summary's self times do not give).
  const keep = args.includes('--keep');
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const resultsDir = path.join(__dirname, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const bar = new ProgressBar(3 + paths.size);
  const bench = await seedBench({ name: 'profile', tokens: 3_000 });
  const { work, services, parties, tokens } = bench;
  try {
    const detokenize = await detokenizeBodies(services, parties.wallet, tokens, 800 * (seconds + WARM_UP_SECONDS));
    // Chain the seeding's audit entries now: else the TSP's chainer works through that backlog
    // during the measured runs and its hashing is counted as detokenize's cost.
    await services.audit.flush();
    bar.step(`seeded ${tokens.length} tokens, ${detokenize.made} cryptograms`);

    const entry = buildCompiledTsp();
    const nowUs = () => Number(process.hrtime.bigint() / 1000n);
    const profiled = async (name: string, load: (tsp: RunningProcess, measured: number) => Promise<LoadResult>) => {
      const dir = path.join(work, name);
      const tsp = await bench.start(entry, ['serve'], {}, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
      await load(tsp, WARM_UP_SECONDS);
      const fromUs = nowUs();
      const result = await load(tsp, seconds);
      const toUs = nowUs();
      await tsp.stop(); // SIGTERM: the TSP stops cleanly and node writes the profile at exit
      const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
      if (!file) throw new Error(`no .cpuprofile written in ${dir}`);
      if (keep) copyFileSync(path.join(dir, file), path.join(resultsDir, `profile-${stamp}-${name}.cpuprofile`));
      return { result, summary: summarizeCpuProfile(path.join(dir, file), { fromUs, toUs }) };
    };

    const sections: string[] = [];
    const profiles: Record<string, { result: LoadResult; summary: ProfileSummary }> = {};
    const section = (title: string, r: { result: LoadResult; summary: ProfileSummary }) =>
      profileMarkdown(
        title,
        r.summary,
        `${r.result.rps}/s at 32 connections for ${seconds} s after ${WARM_UP_SECONDS} s of warm-up (p99 ${r.result.p99} ms, ${r.result.errors} errors, ${r.result.non2xx} unexpected statuses), one compiled worker under --cpu-prof; ` +
          `the worker's CPU per request: ${(r.summary.busyMs / Math.max(1, r.result.requests)).toFixed(2)} ms.`,
      );
    if (paths.has('detokenize')) {
      profiles.detokenize = await profiled('detokenize', async (tsp, duration) => {
        const token = await accessToken(tsp.url, parties.acquirer.clientId, parties.acquirer.clientSecret);
        return runLoad({ name: 'detokenize @32 (1 worker, profiled)', url: `${tsp.url}/v1/detokenize`, method: 'POST', headers: { authorization: `Bearer ${token}` }, connections: 32, durationSeconds: duration, body: detokenize.next });
      });
      sections.push(section('Detokenize, one worker', profiles.detokenize));
      bar.step(`detokenize profiled: ${profiles.detokenize.result.rps}/s`);
    }
    if (paths.has('cryptogram')) {
      let n = 0;
      profiles.cryptogram = await profiled('cryptogram', async (tsp, duration) => {
        const token = await accessToken(tsp.url, parties.wallet.clientId, parties.wallet.clientSecret);
        // Spread over the tokens: one token's ATC is one row, and its increments queue on it.
        return runLoad({ name: 'cryptogram @32 (1 worker, profiled)', url: `${tsp.url}/v1/tokens/${tokens[0]!.tokenRef}/cryptograms`, path: () => `/v1/tokens/${tokens[n % tokens.length]!.tokenRef}/cryptograms`, method: 'POST', headers: { authorization: `Bearer ${token}` }, connections: 32, durationSeconds: duration, expectStatus: 201, body: () => JSON.stringify({ ...TRANSACTION, amount: 100 + (n++ % 1000) }) });
      });
      sections.push(section('Payment credentials (cryptogram), one worker', profiles.cryptogram));
      bar.step(`cryptogram profiled: ${profiles.cryptogram.result.rps}/s`);
    }
    if (paths.has('list')) {
      profiles.list = await profiled('list', async (tsp, duration) => {
        const token = await accessToken(tsp.url, parties.wallet.clientId, parties.wallet.clientSecret);
        return runLoad({ name: 'token list @32 (1 worker, profiled)', url: `${tsp.url}/v1/tokens?walletAccountId=bench-wallet-account-7&limit=20`, headers: { authorization: `Bearer ${token}` }, connections: 32, durationSeconds: duration });
      });
      sections.push(section('Token list, one worker', profiles.list));
      bar.step(`token list profiled: ${profiles.list.result.rps}/s`);
    }
    if (paths.has('provisioning')) {
      let bodies: string[] = [];
      let next = 0;
      profiles.provisioning = await profiled('provisioning', async (tsp, duration) => {
        if (!bodies.length) bodies = await provisioningBodies(tsp.url, tokens.length + 1, 150 * (seconds + WARM_UP_SECONDS));
        const token = await accessToken(tsp.url, parties.wallet.clientId, parties.wallet.clientSecret);
        return runLoad({ name: 'provision @32 (1 worker, profiled)', url: `${tsp.url}/v1/tokens`, method: 'POST', headers: { authorization: `Bearer ${token}` }, connections: 32, durationSeconds: duration, expectStatus: 201, body: () => bodies[next++ % bodies.length]! });
      });
      sections.push(section('Provisioning, one worker', profiles.provisioning));
      bar.step(`provisioning profiled: ${profiles.provisioning.result.rps}/s`);
    }
    await bench.closeSeeding();

    const markdown = sections.join('\n\n');
    const jsonPath = path.join(resultsDir, `profile-${stamp}.json`);
    writeFileSync(jsonPath, `${JSON.stringify({ seconds, ...profiles }, null, 2)}\n`);
    bar.step('summarised');
    bar.finish();
    process.stdout.write(`\n${markdown}\n\nresults: ${jsonPath}\n`);
    if (detokenize.used() > detokenize.made) process.stderr.write('warning: cryptograms ran out and were reused (replays)\n');
    const errors = Object.values(profiles).reduce((sum, p) => sum + p.result.errors + p.result.non2xx, 0);
    return errors > 0 ? 1 : 0;
  } finally {
    await bench.dispose();
  }
}

import { runLoad } from './load';
import { accessToken, collect, provisioningBodies } from './pregenerate';
import { seedBench } from './seeded-bench';

/**
 * `pnpm --filter @opentsp/tsp exec tsx bench/ab-provisioning.ts <A/dist/main.js> <B/dist/main.js> [rounds]`:
 * two compiled TSP builds, one at a time on the same database, issuer-sim and keystore,
 * alternated: each round runs A then B (provisioning @32 for 5 s, push redemption @16 for 5 s,
 * `opentsp serve --workers 2`). On a shared machine the per-round ratio B/A is the comparison
 * that holds, not the absolute figures. Only 127.0.0.1; bounded.
 */
async function main(args: string[]): Promise<number> {
  const [a, b] = args;
  const rounds = Number(args[2] ?? 3);
  if (!a || !b) throw new Error('usage: ab-provisioning.ts <A main.js> <B main.js> [rounds]');
  const bench = await seedBench({ name: 'ab-prov', tokens: 2_000 });
  const { services, parties, tokens } = bench;
  try {
    await bench.closeSeeding();

    // A keep-alive socket the server closed while the bodies were being made fails once: retry.
    const tokenFor = async (client: { clientId: string; clientSecret: string }, url: string) => {
      try {
        return await accessToken(url, client.clientId, client.clientSecret);
      } catch {
        await new Promise((r) => setTimeout(r, 500));
        return accessToken(url, client.clientId, client.clientSecret);
      }
    };
    const start = async (entry: string) => {
      return bench.start(entry, ['serve', '--workers', '2']);
    };
    let bodies: string[] = [];
    let receipts: Array<{ pushReceipt: string }> = [];
    let nextBody = 0;
    let nextReceipt = 0;
    const results: Array<{ round: number; build: 'A' | 'B'; provision: number; push: number; provP99: number; errors: number }> = [];
    for (let round = 1; round <= rounds; round++) {
      for (const [name, entry] of [['A', a], ['B', b]] as const) {
        const tsp = await start(entry);
        if (!bodies.length) bodies = await provisioningBodies(tsp.url, tokens.length + 1, 2_000 * rounds);
        if (!receipts.length) {
          const issuerToken = await tokenFor(parties.issuerClient, tsp.url);
          receipts = await collect<{ pushReceipt: string }>(Math.min(tokens.length, 800 * rounds), 16, (i) =>
            fetch(`${tsp.url}/v1/push-receipts`, { method: 'POST', headers: { authorization: `Bearer ${issuerToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ cardRef: tokens[i % tokens.length]!.cardRef, trid: parties.wallet.trid }) }),
          );
        }
        const token = await tokenFor(parties.wallet, tsp.url);
        const headers = { authorization: `Bearer ${token}` };
        const prov = await runLoad({ name: 'provision', url: `${tsp.url}/v1/tokens`, method: 'POST', headers, connections: 32, durationSeconds: 5, expectStatus: 201, body: () => bodies[nextBody++ % bodies.length]! });
        const push = await runLoad({ name: 'push', url: `${tsp.url}/v1/tokens`, method: 'POST', headers, connections: 16, durationSeconds: 5, expectStatus: 201, body: () => JSON.stringify({ pushReceipt: receipts[nextReceipt++ % receipts.length]!.pushReceipt, walletAccountId: `ab-push-${nextReceipt}` }) });
        await tsp.stop();
        const row = { round, build: name, provision: prov.rps, push: push.rps, provP99: prov.p99, errors: prov.errors + prov.non2xx + push.errors + push.non2xx };
        results.push(row);
        process.stdout.write(`${JSON.stringify(row)}\n`);
      }
    }
    for (let round = 1; round <= rounds; round++) {
      const [ra, rb] = results.filter((r) => r.round === round) as [(typeof results)[number], (typeof results)[number]];
      process.stdout.write(`round ${round}: provisioning B/A ${(rb.provision / Math.max(1, ra.provision)).toFixed(2)} (${ra.provision} -> ${rb.provision}/s), push B/A ${(rb.push / Math.max(1, ra.push)).toFixed(2)} (${ra.push} -> ${rb.push}/s)\n`);
    }
    if (bodies.length < nextBody || receipts.length < nextReceipt) process.stdout.write('note: bodies or receipts were reused (repeats answer other statuses)\n');
    return 0;
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

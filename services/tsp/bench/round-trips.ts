import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { encryptCompact, type Jwk } from '@opentsp/crypto';
import { createIssuerSim } from '@opentsp/issuer-sim';
import { closeServices, createServices } from '../src/compose';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/observability/logger';
import { createMetrics } from '../src/observability/metrics';
import { openDatabase } from '../src/store/database';
import { migrateToLatest } from '../src/store/migrate';
import { BENCH_ENV, prepareDatabase } from './environment';
import { benchPan, seedParties, seedTokens } from './seed';

/**
 * `pnpm --filter @opentsp/tsp exec tsx bench/round-trips.ts`: how many statements one
 * provisioning and one push redemption send to Postgres (every `pg` query counted, `BEGIN` and
 * `COMMIT` included), in process, with the issuer-sim deciding over HTTP. Round trips are what
 * these paths wait for on a durable database, so the count is the first number to bring down.
 */
async function main(): Promise<void> {
  let count = 0;
  const texts: string[] = [];
  const original = pg.Client.prototype.query;
  (pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown }).query = function (this: pg.Client, ...args: unknown[]) {
    count++;
    const q = args[0] as string | { text?: string; name?: string };
    texts.push((typeof q === 'string' ? q : (q?.name ? `[${q.name}] ` : '') + (q?.text ?? '')).replace(/\s+/g, ' ').slice(0, 110));
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  };
  const sim = createIssuerSim();
  const server = sim.app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const simUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const database = await prepareDatabase();
  const handle = openDatabase({ connectionString: database.url, poolSize: 4 });
  try {
    await migrateToLatest(handle.db);
    const services = await createServices({
      config: loadConfig({ ...BENCH_ENV, DATABASE_URL: database.url, OPENTSP_MODE: 'sandbox' }),
      database: handle,
      logger: createLogger({ level: 'warn' }),
      metrics: createMetrics(),
    });
    const parties = await seedParties(services, simUrl);
    const tokens = await seedTokens(services, parties, 10, () => undefined);
    const key = (services.vault.keyRing.publicJwks().keys as Jwk[]).find((k) => k.use === 'enc' && k.alg === 'RSA-OAEP-256')!;
    const wallet = { clientId: parties.wallet.clientId, role: 'wallet' as const, scopes: ['tokens:provision' as const], trid: parties.wallet.trid };
    const issuer = { clientId: parties.issuerClient.clientId, role: 'issuer' as const, scopes: ['push:create' as const], issuerId: parties.issuerId };
    const provisionOnce = async (n: number) => {
      const encryptedCard = await encryptCompact({ pan: benchPan(n), expMonth: 12, expYear: 2031, cvv2: '123' }, key, { alg: 'RSA-OAEP-256' });
      return services.tokens.provision(wallet as never, { encryptedCard, walletAccountId: `rt-${n}`, device: { id: `rt-dev-${n}`, type: 'phone', os: 'android', score: 90 }, tokenLocation: '02', channel: 'nfc' } as never);
    };
    const redeemOnce = async (i: number) => {
      const receipt = await services.push.createReceipt(issuer as never, { cardRef: tokens[i]!.cardRef, trid: parties.wallet.trid } as never, {});
      count = 0;
      texts.length = 0;
      const token = await services.push.redeem(wallet as never, { pushReceipt: receipt.pushReceipt, walletAccountId: `rt-push-${i}` } as never, {});
      return token;
    };
    await provisionOnce(1002); // warm caches (keys, DEKs, rules)
    await redeemOnce(0);
    count = 0;
    texts.length = 0;
    const token = await provisionOnce(1001);
    process.stdout.write(`provisioning (${token.status}): ${count} statements\n${texts.map((t) => `  ${t}`).join('\n')}\n`);
    const pushed = await redeemOnce(1);
    process.stdout.write(`push redemption (${pushed.status}): ${count} statements\n${texts.map((t) => `  ${t}`).join('\n')}\n`);
    await closeServices(services);
  } finally {
    await handle.close();
    await database.close();
    server.close();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);

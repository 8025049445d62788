import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { initKeystore } from '../src/vault/configured-key-provider';
import { buildCompiledTsp, ENTRY, freePort, prepareDatabase, startProcess } from './environment';

/**
 * `pnpm --filter @opentsp/tsp exec tsx bench/rss-check.ts`: the memory of an idle
 * `opentsp serve --workers 2` cluster (primary + workers), from source with tsx and compiled,
 * on the same fresh database, after start-up and again after a few health requests. Answers
 * "what does the tsx loader cost per process" without the noise of a load run.
 */
async function main(): Promise<void> {
  const keysDir = mkdtempSync(path.join(tmpdir(), 'opentsp-rss-'));
  const keystore = { OPENTSP_KEYSTORE_PATH: path.join(keysDir, 'keystore.jwe'), OPENTSP_KEYSTORE_PASSPHRASE: 'bench-only-passphrase-not-secret' };
  await initKeystore(keystore.OPENTSP_KEYSTORE_PATH, keystore.OPENTSP_KEYSTORE_PASSPHRASE);
  const database = await prepareDatabase();
  try {
    const env = { ...keystore, DATABASE_URL: database.url, OPENTSP_MODE: 'production', OPENTSP_BIN_CONTROLLER_ID: 'B401', LOG_LEVEL: 'warn' };
    for (const [label, entry] of [['from source (tsx)', ENTRY.tsp], ['compiled (dist/main.js)', buildCompiledTsp()]] as const) {
      const port = await freePort();
      const began = Date.now();
      const tsp = await startProcess(entry, ['serve', '--workers', '2'], { ...env, PORT: String(port) }, '/readyz');
      const ready = Date.now() - began;
      await new Promise((r) => setTimeout(r, 2_000));
      const idle = tsp.rssMiB();
      for (let i = 0; i < 200; i++) await fetch(`${tsp.url}/readyz`);
      const after = tsp.rssMiB();
      const largest = tsp.largestProcessRssMiB();
      await tsp.stop();
      process.stdout.write(`${label}: ready in ${ready} ms; cluster RSS ${idle} MiB idle, ${after} MiB after 200 requests (largest process ${largest} MiB)\n`);
    }
  } finally {
    await database.close();
    rmSync(keysDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);

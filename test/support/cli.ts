import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

import { TSP_DIR, TSP_DIST_MAIN } from './tsp-build';

export { TSP_DIR };

/**
 * Starts `opentsp <args>` as a real child process, as an operator would: the compiled CLI
 * (dist/main.js, what `OPENTSP_USE_DIST=1 bin/opentsp` runs), built from the current sources
 * by the global setup (tsp-build.ts), so no test pays for tsx compiling the TSP cold.
 */
export function spawnOpentsp(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [TSP_DIST_MAIN, ...args], {
    cwd: TSP_DIR,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs `opentsp <args>` to completion; resolves with its exit code and output. */
export function runOpentsp(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawnOpentsp(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Resolves with the first stdout JSON log line for which `match` is true. */
export function waitForLogLine(
  child: ChildProcess,
  match: (line: Record<string, unknown>) => boolean,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for log line; stderr: ${stderr}`)), timeoutMs);
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      buffer += d.toString();
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        try {
          const parsed = JSON.parse(line) as Record<string, unknown>;
          if (match(parsed)) {
            clearTimeout(timer);
            resolve(parsed);
          }
        } catch {
          // not a JSON log line
        }
      }
    });
    child.on('exit', (code) => reject(new Error(`process exited (${code}) before the log line; stderr: ${stderr}`)));
  });
}

/** The environment without DATABASE_URL and without jest's variables leaking into the child. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...extra };
  return env;
}

/**
 * Removes a sandbox data folder and, when its embedded Postgres cluster was placed outside it
 * (as root, a folder the postgres user cannot enter: `postgres/location.json`), that cluster too.
 */
export function removeSandboxData(dataDir: string): void {
  const record = path.join(dataDir, 'postgres', 'location.json');
  if (existsSync(record)) {
    const { clusterDir } = JSON.parse(readFileSync(record, 'utf8')) as { clusterDir: string };
    rmSync(path.dirname(clusterDir), { recursive: true, force: true });
  }
  rmSync(dataDir, { recursive: true, force: true });
}

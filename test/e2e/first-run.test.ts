import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { AcquirerClient, DeclinedError, IssuerClient, WalletClient, type OctJwk } from '@opentsp/wallet-sdk';
import { cleanEnv, removeSandboxData, waitForLogLine } from '../support/cli';
import { registerTestPans } from '../support/leak-scan';

/*
 * Issue 16, "the first run", as a new user does it: a fresh clone in a folder only its owner
 * may enter (as root: the postgres user cannot reach it, like /root), `pnpm install`, the
 * README's first command (`pnpm start`) — then every test card as sandbox.json names it, the
 * step-up code read from the sandbox phone, a push + one-tap bind, a payment and a
 * detokenization; Ctrl-C stops everything within 5 s and a second start prints the same
 * clients. Then the README's second command's entry point (`pnpm test`, no DATABASE_URL: an
 * embedded Postgres) on one small test file. Bounded: the whole suite is not run in the clone.
 */

const REPO = path.resolve(__dirname, '..', '..');
type CardName = 'approve' | 'stepUp' | 'decline';
/** The simulator's records for the test cards, until sandbox.json lists them (`testCardDetails`). */
const DEFAULT_CARD_DETAILS = { expMonth: 12, expYear: 2031, cvv2: '123' };

interface SandboxFile {
  issuer: { clientId: string; clientSecret: string; testCards: Record<CardName, string>; testCardDetails?: Record<CardName, { pan: string; expMonth: number; expYear: number; cvv2: string }> };
  wallet: { clientId: string; clientSecret: string; trid: string };
  acquirer: { clientId: string; clientSecret: string; merchantIds: string[]; responseEncryptionKey: OctJwk };
  admin: { clientId: string; clientSecret: string };
}

function tools(): string | undefined {
  for (const [tool, args] of [['git', ['rev-parse', '--git-dir']], ['pnpm', ['--version']]] as const) {
    try {
      execFileSync(tool, args, { cwd: REPO, stdio: 'ignore' });
    } catch {
      return tool;
    }
  }
  return undefined;
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env, timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: `${stdout}\n${stderr}` }),
    );
  });
}

/** `pnpm start` in its own process group, so Ctrl-C can be sent to all of it as a terminal does. */
function pnpmStart(cwd: string): { child: ChildProcess; stdout: () => string } {
  const child = spawn('pnpm', ['start'], { cwd, env: cleanEnv({ PORT: '0' }), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return { child, stdout: () => out };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function accepts(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/** The embedded Postgres' postmaster pid, wherever its cluster was placed (.data/postgres/location.json). */
function postmasterPid(clone: string): number {
  const dataDir = path.join(clone, '.data', 'postgres');
  const record = path.join(dataDir, 'location.json');
  const clusterDir = existsSync(record) ? (JSON.parse(readFileSync(record, 'utf8')) as { clusterDir: string }).clusterDir : path.join(dataDir, 'cluster');
  return Number.parseInt(readFileSync(path.join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0] as string, 10);
}

/** Ctrl-C; resolves with how long until `pnpm start`, the TSP, the simulator and Postgres were all gone. */
async function ctrlC(started: { child: ChildProcess }, clone: string, urls: string[]): Promise<number> {
  const pgPid = postmasterPid(clone);
  expect(alive(pgPid)).toBe(true);
  let exited = started.child.exitCode !== null;
  started.child.once('exit', () => (exited = true));
  const t0 = Date.now();
  process.kill(-(started.child.pid as number), 'SIGINT');
  const gone = async () => exited && !alive(pgPid) && !(await Promise.all(urls.map(accepts))).some(Boolean);
  while (!(await gone()) && Date.now() - t0 < 15_000) await new Promise((resolve) => setTimeout(resolve, 50));
  const elapsed = Date.now() - t0;
  expect({ exited, postgres: alive(pgPid), listening: await Promise.all(urls.map(accepts)) }).toEqual({ exited: true, postgres: false, listening: urls.map(() => false) });
  return elapsed;
}

/** The output so far, once it shows `pattern` (the banner follows the "listening" log line). */
async function printed(started: { stdout: () => string }, pattern: RegExp): Promise<string> {
  const deadline = Date.now() + 10_000;
  while (!pattern.test(started.stdout())) {
    if (Date.now() > deadline) throw new Error(`no ${pattern} in the output:\n${started.stdout()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return started.stdout();
}

const missing = tools();
const describeFirstRun = missing ? describe.skip : describe;
if (missing) process.stderr.write(`first-run test skipped: ${missing} is not available\n`);

describeFirstRun('the first run: a fresh clone in a 0700 folder, then the README commands', () => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'opentsp-first-run-'));
  const clone = path.join(home, 'repo');
  let started: ReturnType<typeof pnpmStart> | undefined;
  afterAll(() => {
    if (started && started.child.exitCode === null && started.child.signalCode === null) {
      try {
        process.kill(-(started.child.pid as number), 'SIGKILL');
      } catch {
        // the group is already gone
      }
    }
    removeSandboxData(path.join(clone, '.data')); // as root its cluster was placed outside the clone
    rmSync(home, { recursive: true, force: true });
  });

  it('clones into a folder only its owner may enter and installs offline', async () => {
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect((await run('git', ['clone', '--quiet', REPO, clone], home, cleanEnv({}), 120_000)).code).toBe(0);
    const install = await run('pnpm', ['install', '--frozen-lockfile', '--offline'], clone, cleanEnv({}), 300_000);
    if (install.code !== 0) throw new Error(`pnpm install failed:\n${install.output}`);
  }, 420_000);

  it('pnpm start: sandbox TSP, simulator and phone; every test card, one-tap bind, payment; Ctrl-C; same clients again', async () => {
    started = pnpmStart(clone);
    const listening = await waitForLogLine(started.child, (l) => l.msg === 'OpenTSP listening', 300_000);
    const url = String(listening.url).replace('0.0.0.0', '127.0.0.1');
    const banner = await printed(started, /decline\s+card ending/);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    for (const where of ['TSP API', 'Token console', 'Sandbox phone', 'Issuer sim', 'approve', 'stepUp', 'decline']) expect(banner).toContain(where);

    const sandbox = JSON.parse(readFileSync(path.join(clone, '.data', 'sandbox.json'), 'utf8')) as SandboxFile;
    const pans = sandbox.issuer.testCards;
    registerTestPans(...Object.values(pans));
    for (const pan of Object.values(pans)) expect(banner).not.toContain(pan);
    const card = (name: CardName) => {
      const { expMonth, expYear, cvv2 } = sandbox.issuer.testCardDetails?.[name] ?? DEFAULT_CARD_DETAILS;
      return { pan: pans[name], expMonth, expYear, cvv2 };
    };
    const baseUrl = url;
    const wallet = new WalletClient({ baseUrl, credentials: sandbox.wallet, trid: sandbox.wallet.trid });
    const device = (n: string) => ({ id: `dev_first_run_${n}`, type: 'phone' as const, os: 'android' as const, score: 90 });
    const context = (n: string) => ({ walletAccountId: `wa_first_run_${n}`, device: device(n), tokenLocation: '02' as const, channel: 'nfc' as const });

    const approved = await wallet.provisionCard(card('approve'), context('approve'));
    expect(approved.token).toMatchObject({ status: 'ACTIVE', assuranceMethod: '13' });

    const declined = await wallet.provisionCard(card('decline'), context('decline')).catch((e: unknown) => e);
    expect(declined).toBeInstanceOf(DeclinedError);
    expect(declined).toMatchObject({ status: 403, code: 'provisioning_declined' });

    const stepped = await wallet.provisionCard(card('stepUp'), context('stepUp'));
    if (stepped.outcome !== 'verification_required') throw new Error(`expected step-up, got ${stepped.outcome}`);
    expect(stepped.token.status).toBe('INACTIVE');
    const sms = stepped.verification.methods.find((m) => m.type === 'sms') ?? stepped.verification.methods[0];
    await stepped.verification.start(sms?.id as string);
    const phone = (await (await fetch(`${url}/console/sandbox/phone?tokenRef=${stepped.token.tokenRef}`)).json()) as { data: { to: string; code: string }[] };
    expect(phone.data[0]?.to).toBe(sms?.maskedDestination);
    const activated = await stepped.verification.confirm(phone.data[0]?.code as string);
    expect(activated).toMatchObject({ status: 'ACTIVE', assuranceMethod: '11' });

    // Push + one-tap bind of the approve card, as the console's demo does it.
    const demo = (await (await fetch(`${url}/console/sandbox.json`)).json()) as { demoCards: { cardRef: string; outcome: string }[] };
    const cardRef = demo.demoCards.find((c) => c.outcome === 'approve')?.cardRef as string;
    const bank = new IssuerClient({ baseUrl, credentials: sandbox.issuer });
    const receipt = await bank.createPushReceipt({ cardRef }, { trid: sandbox.wallet.trid, walletAccountId: 'wa_first_run_push' });
    const bound = await wallet.bindWithPushReceipt(receipt, { walletAccountId: 'wa_first_run_push', device: device('push') });
    expect(bound).toMatchObject({ status: 'ACTIVE', assuranceMethod: '14', card: { cardRef } });

    // A payment with the bound token, detokenized by the sandbox acquirer.
    const merchantId = sandbox.acquirer.merchantIds[0] as string;
    const creds = await wallet.getPaymentCredentials(bound.tokenRef, { amount: 12800, currency: 'CNY', merchantId, channel: 'nfc' });
    const acquirer = new AcquirerClient({ baseUrl, credentials: sandbox.acquirer, responseKey: sandbox.acquirer.responseEncryptionKey });
    const { tokenPan, tokenExpiry, cryptogram, atc, transaction } = creds;
    const detokenized = await acquirer.detokenize({ tokenPan, tokenExpiry, cryptogram, atc, transaction });
    expect(detokenized.card.pan.reveal()).toBe(pans.approve);
    expect(detokenized.tokenRef).toBe(bound.tokenRef);

    const simUrl = /Issuer sim\s+(\S+)/.exec(banner)?.[1];
    expect(simUrl).toBeDefined();
    const firstStop = await ctrlC(started, clone, [url, simUrl as string]);
    process.stdout.write(`first-run: Ctrl-C stopped pnpm start, TSP, simulator and Postgres in ${firstStop} ms\n`);
    expect(firstStop).toBeLessThan(5_000);

    const clientsOf = (text: string) => text.split('\n').filter((l) => /^\s+(issuer|wallet|acquirer|admin)\s+cli_/.test(l));
    const firstClients = clientsOf(banner);
    expect(firstClients).toHaveLength(4);
    started = pnpmStart(clone);
    const again = await waitForLogLine(started.child, (l) => l.msg === 'OpenTSP listening', 300_000);
    expect(clientsOf(await printed(started, /decline\s+card ending/))).toEqual(firstClients);
    expect((await fetch(`${String(again.url).replace('0.0.0.0', '127.0.0.1')}/readyz`)).status).toBe(200);
    expect(await ctrlC(started, clone, [String(again.url)])).toBeLessThan(5_000);
  }, 900_000);

  it('pnpm test without DATABASE_URL: the jest entry point runs a test on an embedded Postgres', async () => {
    const result = await run('pnpm', ['test', 'services/tsp/test/cli/migrate.test.ts'], clone, cleanEnv({}), 300_000);
    if (result.code !== 0) throw new Error(`pnpm test failed:\n${result.output}`);
    expect(result.output).toMatch(/Tests:\s+\d+ passed/);
  }, 320_000);
});

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/*
 * Browser test support: Debian's Chromium driven by playwright-core (no downloaded browser),
 * headless, with a throw-away profile, talking only to the local TSP. `.ci/run` installs
 * Chromium with apt when it is missing.
 */

export const CHROMIUM = '/usr/bin/chromium';
const REPO = path.resolve(__dirname, '..', '..', '..');
const CONSOLE = path.join(REPO, 'packages', 'console');
export const ARTIFACTS = path.join(REPO, '.test-artifacts', 'console');
export const DOC_IMAGES = path.join(REPO, 'docs', 'images');

/**
 * Whether the browser tests run: Chromium is there; or it is missing outside CI (skipped, with
 * the reason printed). In CI a missing Chromium is a failure, not a skip.
 */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI === 'true') return true; // launch() then fails and the test says why
  console.warn(`console browser tests skipped: ${CHROMIUM} is missing (apt-get install chromium; .ci/run does it in CI)`);
  return false;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** Builds the console (vite build) when dist is missing or older than its sources. */
export function ensureConsoleBuilt(): void {
  const built = path.join(CONSOLE, 'dist', 'index.html');
  const sources = Math.max(
    newestMtime(path.join(CONSOLE, 'src')),
    ...['index.html', 'vite.config.ts', 'package.json'].map((f) => statSync(path.join(CONSOLE, f)).mtimeMs),
  );
  if (existsSync(built) && statSync(built).mtimeMs >= sources) return;
  execFileSync(process.execPath, [path.join(CONSOLE, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], {
    cwd: CONSOLE,
    stdio: 'inherit',
  });
}

export interface TestBrowser {
  /** One browser profile; each page is its own tab, so each has its own sessionStorage (the console's only state). */
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Headless Chromium on a fresh profile directory (removed at close). Playwright takes the
 * profile as `launchPersistentContext`'s first argument and passes it as `--user-data-dir`.
 * `page.goto('/console/…')` resolves against `baseURL` (the TSP under test).
 */
export async function launchBrowser(baseURL: string): Promise<TestBrowser> {
  const profile = mkdtempSync(path.join(tmpdir(), 'opentsp-chromium-'));
  const context = await launchIn(profile, baseURL).catch((error: unknown) => {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

async function launchIn(profile: string, baseURL: string): Promise<BrowserContext> {
  const context = await chromium.launchPersistentContext(profile, {
    baseURL,
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
  // The console and the TSP are local: anything else the page tries to reach is refused.
  await context.route(/^(?!http:\/\/127\.0\.0\.1[:/]).*/, (route) => route.abort());
  return context;
}

/**
 * Saves a full-page screenshot as `.test-artifacts/console/<name>.png`; with
 * OPENTSP_UPDATE_SCREENSHOTS=1 and a `docName`, also as `docs/images/<docName>.png` (README).
 */
export async function screenshot(page: Page, name: string, docName?: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  if (docName && process.env.OPENTSP_UPDATE_SCREENSHOTS === '1') {
    mkdirSync(DOC_IMAGES, { recursive: true });
    await page.screenshot({ path: path.join(DOC_IMAGES, `${docName}.png`), fullPage: true });
  }
}

/** Everything a reader or a script could get from the page: its text and its markup. */
export async function pageTextAndDom(page: Page): Promise<string> {
  return `${await page.evaluate(() => document.body.innerText)}\n${await page.content()}`;
}

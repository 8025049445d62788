import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { findCardNumbers, maskPan } from '@opentsp/card';

/**
 * Leak scan (PCI DSS 4.0 req. 3.5: PAN unreadable wherever stored; req. 10: logs hold no card
 * data). Test files register the card numbers they use; the harness scans every test database
 * (before dropping it) and the TSP's captured logs; the collected logs of the whole run are
 * scanned again at the end (test/reliability/leak-scan.test.ts and `scanCollectedLogs`).
 *
 * Besides the registered numbers, any Luhn-valid 13–19 digit run inside one of the database's
 * *card* BIN ranges counts as a leak: token numbers come from token BIN ranges, so a hit there
 * is a real card number in clear, whoever's test put it there.
 */

export const LEAK_DIR = path.resolve(__dirname, '..', '..', '.test-artifacts', 'leak-scan');
const PANS_FILE = path.join(LEAK_DIR, 'registered-pans.txt');
const registered = new Set<string>();

/** Registers card numbers this test file sends, so any trace of them fails the run. */
export function registerTestPans(...pans: string[]): void {
  mkdirSync(LEAK_DIR, { recursive: true });
  for (const pan of pans) {
    if (!/^[0-9]{12,19}$/.test(pan) || registered.has(pan)) continue;
    registered.add(pan);
    appendFileSync(PANS_FILE, `${pan}\n`);
  }
}

/** Every PAN registered in this run (all jest workers). */
export function registeredPans(): string[] {
  const fromFile = existsSync(PANS_FILE) ? readFileSync(PANS_FILE, 'utf8').split('\n').filter(Boolean) : [];
  return [...new Set([...registered, ...fromFile])];
}

/** Appends a TSP's captured log text to this run's log collection. */
export function collectLogs(label: string, text: string): void {
  if (!text) return;
  mkdirSync(LEAK_DIR, { recursive: true });
  appendFileSync(path.join(LEAK_DIR, `tsp-logs-${process.pid}.log`), `# ${label}\n${text}\n`);
}

/**
 * Card numbers found in `text`, masked (first six and last four, so a hit is reported without
 * leaking it again): registered ones (digits may be split by spaces / dashes) and Luhn-valid
 * card-number runs (the shared pattern of @opentsp/card) in `cardBins`.
 */
export function findPans(text: string, pans: readonly string[], cardBins: readonly string[] = []): string[] {
  const found = new Set<string>();
  const compact = text.replace(/(?<=\d)[ -](?=\d)/g, '');
  for (const pan of pans) if (compact.includes(pan)) found.add(maskPan(pan));
  if (cardBins.length) {
    for (const digits of findCardNumbers(text)) {
      if (cardBins.some((bin) => digits.startsWith(bin))) found.add(maskPan(digits));
    }
  }
  return [...found];
}

/**
 * Scans every text, JSON and bytea column of every user table of the database for card
 * numbers. Returns `table.column: masked PAN` per hit (empty = clean).
 */
export async function scanDatabaseForPans(pool: pg.Pool, pans: readonly string[]): Promise<string[]> {
  const columns = await pool.query<{ table_schema: string; table_name: string; column_name: string; data_type: string }>(
    `select c.table_schema, c.table_name, c.column_name, c.data_type
       from information_schema.columns c
       join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
      where c.table_schema not in ('pg_catalog', 'information_schema')
        and c.data_type in ('text', 'character varying', 'character', 'json', 'jsonb', 'bytea')`,
  );
  const cardBins = await cardBinsOf(pool);
  const hits: string[] = [];
  for (const c of columns.rows) {
    const table = `"${c.table_schema}"."${c.table_name}"`;
    const column = `"${c.column_name}"`;
    const asText = c.data_type === 'bytea' ? `encode(${column}, 'escape')` : `${column}::text`;
    // Cheap pre-filter in SQL: only rows with a 13+ digit run (spaces / dashes allowed) come back.
    const rows = await pool.query<{ v: string }>(`select ${asText} as v from ${table} where ${asText} ~ '[0-9]([ -]?[0-9]){12,}'`);
    for (const row of rows.rows) {
      for (const pan of findPans(row.v, pans, cardBins)) hits.push(`${c.table_name}.${c.column_name}: ${pan}`);
    }
  }
  return [...new Set(hits)];
}

/** Scans the logs collected from every TSP of this run (all workers). */
export function scanCollectedLogs(pans: readonly string[] = registeredPans()): string[] {
  if (!existsSync(LEAK_DIR)) return [];
  const hits: string[] = [];
  for (const file of readdirSync(LEAK_DIR)) {
    if (!file.endsWith('.log')) continue;
    for (const pan of findPans(readFileSync(path.join(LEAK_DIR, file), 'utf8'), pans)) hits.push(`${file}: ${pan}`);
  }
  return hits;
}

async function cardBinsOf(pool: pg.Pool): Promise<string[]> {
  try {
    return (await pool.query<{ prefix: string }>('select prefix from issuer_card_bin_ranges')).rows.map((r) => r.prefix);
  } catch {
    return []; // a database without the identity tables (migrate: false)
  }
}

/** Fails when the database holds a registered PAN or a card number of its card BIN ranges. */
export async function assertNoCardDataInDatabase(pool: pg.Pool, label: string): Promise<void> {
  const hits = await scanDatabaseForPans(pool, registeredPans());
  if (hits.length) throw new Error(`card data in clear in the test database of ${label} (PCI DSS 3.5): ${hits.join('; ')}`);
}

/**
 * Collects a TSP's logs for the run-wide scan, then fails if they hold a registered PAN or a
 * card number of the database's card BIN ranges (PCI DSS 10 / 3.3: no card data in logs).
 */
export async function assertNoCardDataInLogs(logText: string, label: string, pool?: pg.Pool): Promise<void> {
  collectLogs(label, logText);
  const bins = pool ? await cardBinsOf(pool) : [];
  const hits = findPans(logText, registeredPans(), bins);
  if (hits.length) throw new Error(`card data in the logs of ${label} (PCI DSS 10): ${hits.join('; ')}`);
}

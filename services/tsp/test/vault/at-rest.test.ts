import { spawnSync } from 'node:child_process';
import { sql } from 'kysely';
import type { TestDatabase } from '../../../../test/support/test-database';
import { startTestTsp, type TestTsp } from '../../../../test/support/tsp-harness';
import { testPan } from '@opentsp/card';

const PG_DUMP = '/usr/bin/pg_dump';

/**
 * Everything the database holds, as text: a full `pg_dump` when its major version matches the
 * server's, otherwise every text, bytea and jsonb column of every table read over SQL
 * (bytea as hex, like the dump writes it).
 */
async function databaseText(db: TestDatabase): Promise<{ how: string; text: string }> {
  const dump = spawnSync(PG_DUMP, ['--no-owner', '--dbname', db.url], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (dump.status === 0 && dump.stdout) return { how: 'pg_dump', text: dump.stdout };
  const columns = await sql<{ table_name: string; column_name: string; data_type: string }>`
    select table_name, column_name, data_type from information_schema.columns
    where table_schema = 'public' and data_type in ('text', 'character varying', 'character', 'bytea', 'jsonb', 'json')`.execute(db.db);
  const parts: string[] = [];
  for (const c of columns.rows) {
    const value = c.data_type === 'bytea' ? sql`encode(${sql.ref(c.column_name)}, 'hex')` : sql`${sql.ref(c.column_name)}::text`;
    const rows = await sql<{ v: string | null }>`select ${value} as v from ${sql.table(c.table_name)}`.execute(db.db);
    parts.push(...rows.rows.map((r) => r.v ?? ''));
  }
  return { how: 'sql scan', text: parts.join('\n') };
}

/** The PAN as it would appear in the dump in clear or under a trivial encoding. */
function encodings(pan: string): string[] {
  const ascii = Buffer.from(pan, 'ascii');
  return [
    pan,
    ascii.toString('base64'),
    ascii.toString('base64url'),
    ascii.toString('hex'),
    Buffer.from(pan, 'utf16le').toString('hex'),
    [...pan].reverse().join(''),
    pan.match(/.{4}/g)?.join(' ') ?? pan,
  ];
}

describe('a dump of the database reveals no card', () => {
  let tsp: TestTsp;
  beforeAll(async () => {
    tsp = await startTestTsp();
  });
  afterAll(async () => {
    await tsp.close();
  });

  it('contains none of 50 stored PANs, in clear or trivially encoded, nor any cardholder name', async () => {
    const pans = Array.from({ length: 50 }, () => testPan());
    const refs: string[] = [];
    for (const [i, pan] of pans.entries()) {
      const stored = await tsp.services.uow.transaction((tx) =>
        tsp.services.vault.cards.storeCard(tx, { issuerId: 'iss_A', pan, expMonth: 1 + (i % 12), expYear: 2031, cardholderName: `HOLDER NUMBER${i}X` }),
      );
      refs.push(stored.cardRef);
    }
    // A reissue and a deletion leave no trace of the old PANs either.
    await tsp.services.uow.transaction((tx) => tsp.services.vault.cards.updateCard(tx, refs[0] as string, { pan: testPan() }));
    await tsp.services.uow.transaction((tx) => tsp.services.vault.cards.shredCard(tx, refs[1] as string));
    await tsp.services.vault.envelope.seal(tsp.db.db, { purpose: 'otp', ownerRef: 'chl_1' }, pans[2] as string);

    const { how, text } = await databaseText(tsp.db);
    // The dump is real: it holds the cards (by reference) and their ciphertext.
    expect(text).toContain(refs[10]);
    expect(text.length).toBeGreaterThan(10_000);
    for (const pan of pans) {
      for (const encoded of encodings(pan)) expect({ how, found: text.includes(encoded) }).toEqual({ how, found: false });
    }
    expect(text).not.toMatch(/HOLDER NUMBER/);
  });
});

import { maskPan } from '@opentsp/card';
import { findPans, scanCollectedLogs, scanDatabaseForPans } from '../support/leak-scan';
import { createTestDatabase } from '../support/test-database';
import { FUZZ_PANS } from './fuzz/hostile-inputs';

/**
 * The leak scanner itself must catch what it is for (a scanner that never fires proves
 * nothing), and the logs collected so far in this run must hold no registered PAN.
 */
describe('card-data leak scan', () => {
  const pan = FUZZ_PANS[0] as string;

  it('finds a registered PAN in text, also when split by spaces or dashes', () => {
    expect(findPans(`x ${pan} y`, [pan])).toEqual([maskPan(pan)]);
    expect(findPans(pan.replace(/(\d{4})/g, '$1 ').trim(), [pan])).toEqual([maskPan(pan)]);
    expect(findPans(pan.replace(/(\d{4})/g, '$1-').replace(/-$/, ''), [pan])).toEqual([maskPan(pan)]);
    expect(findPans('tok_abc 6288001234567890', [pan])).toEqual([]);
  });

  it('finds unregistered Luhn-valid numbers only inside card BIN ranges', () => {
    expect(findPans(`card ${pan}`, [], ['621300'])).toEqual([maskPan(pan)]);
    expect(findPans(`token ${pan}`, [], ['628800'])).toEqual([]);
  });

  it('finds a PAN stored in clear in any text, jsonb or bytea column', async () => {
    const db = await createTestDatabase({ migrate: false });
    try {
      await db.pool.query('create table leaky (note text, details jsonb, blob bytea)');
      await db.pool.query('insert into leaky values ($1, $2, $3)', ['clean', JSON.stringify({ card: pan }), Buffer.from(`raw ${FUZZ_PANS[1]}`)]);
      const hits = await scanDatabaseForPans(db.pool, FUZZ_PANS);
      expect(hits.sort()).toEqual([`leaky.blob: ${maskPan(FUZZ_PANS[1] as string)}`, `leaky.details: ${maskPan(pan)}`].sort());
      await db.pool.query('delete from leaky');
    } finally {
      await db.drop();
    }
  });

  it('finds no registered PAN in the TSP logs collected so far in this run', () => {
    expect(scanCollectedLogs()).toEqual([]);
  });
});

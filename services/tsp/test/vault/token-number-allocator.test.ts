import { isLuhnValid } from '@opentsp/card';
import type { TspError } from '../../src/errors';
import { TokenNumberAllocator } from '../../src/vault/token-number-allocator';
import { inCardRange } from '../../src/vault/token-number';
import { startTestTsp, type TestTsp } from '../../../../test/support/tsp-harness';

const CARD_RANGES = [
  { prefix: '621234', panLength: 16 },
  { prefix: '62881234567895', panLength: 16 }, // a card range nested inside a token range
];

describe('token number allocation', () => {
  let tsp: TestTsp;
  beforeAll(async () => {
    tsp = await startTestTsp();
  });
  afterAll(async () => {
    await tsp.close();
  });

  const allocate = (range: { prefix: string; tokenLength: number }, allocator = tsp.services.vault.tokenNumbers) =>
    tsp.services.uow.transaction((tx) => allocator.allocate(tx, range, CARD_RANGES));

  it('allocates distinct Luhn-valid numbers of the range length, inside the range, outside every card range', async () => {
    for (const tokenLength of [16, 17, 18, 19]) {
      const numbers = await Promise.all(Array.from({ length: 25 }, () => allocate({ prefix: '6288', tokenLength })));
      expect(new Set(numbers).size).toBe(25);
      for (const n of numbers) {
        expect(n).toMatch(new RegExp(`^6288[0-9]{${tokenLength - 4}}$`));
        expect(isLuhnValid(n)).toBe(true);
        expect(CARD_RANGES.some((r) => inCardRange(n, r))).toBe(false);
      }
    }
  });

  it('fills a small range completely, never inside the nested card range, then answers token_range_exhausted', async () => {
    // 6288123456789 + 2 random digits + check digit: 100 numbers, 10 of them in the card range 62881234567895.
    const range = { prefix: '6288123456789', tokenLength: 16 };
    const other = new TokenNumberAllocator(tsp.ctx.metrics, tsp.logger); // a second process
    const numbers = await Promise.all(Array.from({ length: 90 }, (_, i) => allocate(range, i % 2 ? other : tsp.services.vault.tokenNumbers)));
    expect(new Set(numbers).size).toBe(90);
    expect(numbers.filter((n) => n.startsWith('62881234567895'))).toEqual([]);
    const error = (await allocate(range).catch((e: unknown) => e)) as TspError;
    expect(error.code).toBe('token_range_exhausted');
    const metrics = await tsp.ctx.metrics.registry.metrics();
    expect(metrics).toMatch(/opentsp_token_range_exhausted_total\{range="6288123456789\/16"\} 1/);
    expect(metrics).toMatch(/opentsp_token_range_utilization_ratio\{range="6288123456789\/16"\} 1/);
  });

  it('reports a range with no room at all outside the card ranges as exhausted', async () => {
    const error = (await allocate({ prefix: '62123499', tokenLength: 16 }).catch((e: unknown) => e)) as TspError;
    expect(error.code).toBe('token_range_exhausted');
  });

  it('gives a number back when the allocating transaction rolls back', async () => {
    const range = { prefix: '62889876543210', tokenLength: 16 }; // 10 numbers
    await expect(
      tsp.services.uow.transaction(async (tx) => {
        for (let i = 0; i < 10; i++) await tsp.services.vault.tokenNumbers.allocate(tx, range, CARD_RANGES);
        throw new Error('provisioning failed');
      }),
    ).rejects.toThrow('provisioning failed');
    const numbers = await Promise.all(Array.from({ length: 10 }, () => allocate(range)));
    expect(new Set(numbers).size).toBe(10);
    const usage = await tsp.services.vault.tokenNumbers.usage(tsp.db.db, range, CARD_RANGES);
    expect(usage).toMatchObject({ allocated: 10, capacity: 10, utilization: 1 });
  });

  it('refuses a malformed token range', async () => {
    await expect(allocate({ prefix: '6288', tokenLength: 20 })).rejects.toThrow(RangeError);
  });
});

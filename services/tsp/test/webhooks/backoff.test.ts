import { retryDelayMs } from '../../src/domain/webhooks/backoff';

describe('webhook retry backoff', () => {
  const cases: Array<{ given: { failed: number; random: number }; want: number }> = [
    { given: { failed: 1, random: 0.5 }, want: 30_000 },
    { given: { failed: 2, random: 0.5 }, want: 60_000 },
    { given: { failed: 5, random: 0.5 }, want: 480_000 },
    { given: { failed: 11, random: 0.5 }, want: 6 * 3600_000 }, // capped
    { given: { failed: 1, random: 0 }, want: 24_000 }, // -20 % jitter
    { given: { failed: 1, random: 1 }, want: 36_000 }, // +20 % jitter
  ];
  it.each(cases)('doubles from the base per failed attempt, capped, with ±20 % jitter: $given', ({ given, want }) => {
    expect(retryDelayMs(given.failed, 30_000, 6 * 3600_000, () => given.random)).toBe(want);
  });

  it('spans about 14 hours over the default 12 attempts', () => {
    const total = Array.from({ length: 11 }, (_, i) => retryDelayMs(i + 1, 30_000, 6 * 3600_000, () => 0.5)).reduce((a, b) => a + b, 0);
    expect(total / 3600_000).toBeCloseTo(14.5, 0);
  });
});

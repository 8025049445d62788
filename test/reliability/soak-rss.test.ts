import { rssGrowth, type RssSample } from './support/soak-rss';

/*
 * How the soak judges memory growth. A worker's RSS climbs between major collections and drops
 * at each: a sawtooth tens of MiB high (seen in the 600 s soak: 167 → 184 MiB in the last 40 s
 * of a run whose troughs stayed at 167 MiB). Where the run happens to stop on that sawtooth must
 * not decide; what survives collection (the troughs) rising is a leak.
 */
const WARMUP = 120;

/** A worker sampled every 5 s from t = 0 to 600: troughs at `trough(t)`, a 30 MiB tooth every 100 s. */
function sawtooth(trough: (t: number) => number, endOnPeak: boolean): RssSample[] {
  const samples: RssSample[] = [];
  for (let t = 0; t <= 600; t += 5) {
    const phase = (endOnPeak ? t + 95 : t) % 100; // on a peak: the last samples just before a collection
    const kib = Math.round((trough(t) + (30 * phase) / 100) * 1024);
    samples.push({ t, primaryKiB: 80 * 1024, workersKiB: [kib, 160 * 1024], helpersKiB: 0, totalKiB: 80 * 1024 + kib + 160 * 1024 });
  }
  return samples;
}

describe('soak RSS growth', () => {
  it('does not count where the run stops on the collection sawtooth as growth', () => {
    const growth = rssGrowth(sawtooth(() => 160, true), WARMUP);
    expect(growth.workersPercent[0]).toBeLessThan(2);
    expect(growth.totalPercent).toBeLessThan(2);
  });

  it('finds memory that survives collection: troughs rising 2.6 MiB a minute after warm-up', () => {
    const growth = rssGrowth(sawtooth((t) => 160 + (Math.max(0, t - WARMUP) / 60) * 2.6, false), WARMUP);
    // 480 s after warm-up: about 20 MiB on 160, measured between the first and last quarters.
    expect(growth.workersPercent[0]).toBeGreaterThan(8);
    expect(growth.workersPercent[1]).toBe(0);
  });

  it('refuses to judge a run too short to have samples after warm-up', () => {
    expect(() => rssGrowth(sawtooth(() => 160, false).slice(0, 26), WARMUP)).toThrow(/too few RSS samples/);
  });
});

import type { ClusterTsp } from './soak-cluster';

/** One RSS sample of the TSP cluster: seconds since the soak began, KiB per process. */
export interface RssSample {
  t: number;
  primaryKiB: number;
  workersKiB: number[];
  /** The primary's non-worker children (tsx's esbuild service), not in the total. */
  helpersKiB: number;
  /** Primary + workers. */
  totalKiB: number;
}

/** Samples the cluster's RSS every `everyMs` until stopped. */
export function sampleRss(cluster: ClusterTsp, everyMs: number, began: number): { samples: RssSample[]; stop(): void } {
  const samples: RssSample[] = [];
  const take = () => samples.push({ t: Math.round((Date.now() - began) / 100) / 10, ...cluster.rss() });
  take();
  const timer = setInterval(take, everyMs);
  return { samples, stop: () => clearInterval(timer) };
}

/**
 * RSS growth after warm-up, in percent, per process too (primary, each worker: one leaking
 * worker can hide in a total). A worker's RSS climbs between major collections and drops at
 * each — a sawtooth tens of MiB high — and a run can stop anywhere on it (seen: 167 → 184 MiB in
 * the last 40 s of a 600 s soak whose troughs stayed at 167 MiB), so the last samples against
 * the first measure the sawtooth, not growth. What survives collection is the trough, and a leak
 * raises it: the run after warm-up is cut in quarters, each quarter's lowest sample is taken,
 * a least-squares line is fitted through those four troughs, and its rise over the whole run
 * after warm-up is the growth, against the first trough.
 */
export function rssGrowth(samples: RssSample[], warmupSeconds: number): { totalPercent: number; primaryPercent: number; workersPercent: number[]; baselineKiB: number; finalKiB: number; samplesAfterWarmup: number } {
  const after = samples.filter((s) => s.t >= warmupSeconds);
  if (after.length < 6) throw new Error(`too few RSS samples after warm-up (${after.length}); run longer or sample more often`);
  const quarters = [0, 1, 2, 3].map((i) => after.slice(Math.floor((i * after.length) / 4), Math.floor(((i + 1) * after.length) / 4)));
  const span = after[after.length - 1]!.t - after[0]!.t;
  const troughLine = (pick: (s: RssSample) => number) => {
    const troughs = quarters.map((q) => q.reduce((low, s) => (pick(s) < pick(low) ? s : low)));
    const meanT = troughs.reduce((sum, s) => sum + s.t, 0) / troughs.length;
    const meanV = troughs.reduce((sum, s) => sum + pick(s), 0) / troughs.length;
    const spread = troughs.reduce((sum, s) => sum + (s.t - meanT) ** 2, 0);
    const slope = spread ? troughs.reduce((sum, s) => sum + (s.t - meanT) * (pick(s) - meanV), 0) / spread : 0;
    const base = pick(troughs[0]!);
    return { base, rise: slope * span };
  };
  const growth = (pick: (s: RssSample) => number) => {
    const { base, rise } = troughLine(pick);
    return base ? Math.round((rise / base) * 1000) / 10 : 0;
  };
  const total = troughLine((s) => s.totalKiB);
  const workers = after[0]!.workersKiB.length;
  return {
    totalPercent: growth((s) => s.totalKiB),
    primaryPercent: growth((s) => s.primaryKiB),
    workersPercent: Array.from({ length: workers }, (_, i) => growth((s) => s.workersKiB[i] ?? 0)),
    baselineKiB: total.base,
    finalKiB: Math.round(total.base + total.rise),
    samplesAfterWarmup: after.length,
  };
}

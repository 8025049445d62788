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

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

/**
 * RSS growth after warm-up, in percent: the median of the last three samples against the median
 * of the first three taken at or after `warmupSeconds` (medians: one sample caught mid-GC must
 * not decide). Per process too (primary, each worker), since one leaking worker can hide in a
 * total.
 */
export function rssGrowth(samples: RssSample[], warmupSeconds: number): { totalPercent: number; primaryPercent: number; workersPercent: number[]; baselineKiB: number; finalKiB: number; samplesAfterWarmup: number } {
  const after = samples.filter((s) => s.t >= warmupSeconds);
  if (after.length < 6) throw new Error(`too few RSS samples after warm-up (${after.length}); run longer or sample more often`);
  const first = after.slice(0, 3);
  const last = after.slice(-3);
  const growth = (pick: (s: RssSample) => number) => {
    const base = median(first.map(pick));
    return base ? Math.round(((median(last.map(pick)) - base) / base) * 1000) / 10 : 0;
  };
  const workers = after[0]!.workersKiB.length;
  return {
    totalPercent: growth((s) => s.totalKiB),
    primaryPercent: growth((s) => s.primaryKiB),
    workersPercent: Array.from({ length: workers }, (_, i) => growth((s) => s.workersKiB[i] ?? 0)),
    baselineKiB: median(first.map((s) => s.totalKiB)),
    finalKiB: median(last.map((s) => s.totalKiB)),
    samplesAfterWarmup: after.length,
  };
}

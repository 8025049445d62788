import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CryptoFloorResult } from './crypto-floor';
import type { LoadResult } from './load';

export interface BenchReport {
  startedAt: string;
  quick: boolean;
  machine: { cpus: string; cores: number; memoryGiB: number; node: string; postgres: string };
  tokensSeeded: number;
  /** The server's settings that bound a durable commit, read from it (bench/durable-floor.ts). */
  postgresSettings?: Record<string, string>;
  runs: LoadResult[];
  /** Each TSP path's throughput over its floor's, measured in the same run. */
  ratios: Array<{ path: string; floor: string; ratio: number }>;
  crypto: CryptoFloorResult[];
  engine?: Array<{ name: string; p50Ms: number; p99Ms: number }>;
  tspPeakRssMiB: number;
  /** The largest single TSP process (a worker) at its peak, in MiB. */
  tspPeakProcessRssMiB?: number;
  /** How the TSP ran: `compiled` (dist/, as the docs recommend) or `source` (tsx). */
  tspBuild?: 'compiled' | 'source';
  /** NODE_OPTIONS the TSP ran with (`--tsp-node-options`), when any. */
  tspNodeOptions?: string;
  /** The machine's 1-minute load average when the run started and ended (others share it). */
  loadAverage?: { start: number; end: number };
  /** Wall time of the whole run, in seconds. */
  wallSeconds?: number;
}

const REPO = path.resolve(__dirname, '..', '..', '..');
const MARK_START = '<!-- bench:latest:start -->';
const MARK_END = '<!-- bench:latest:end -->';

export function machineDescription(postgres: string): BenchReport['machine'] {
  const cpus = os.cpus();
  return {
    cpus: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    postgres,
  };
}

export function markdownTable(report: BenchReport): string {
  const rows = report.runs.map(
    (r) =>
      `| ${r.name} | ${r.rate ? `${r.rate}/s fixed` : r.connections} | ${r.rps.toLocaleString('en')} | ${r.p50} | ${r.p95} | ${r.p99} | ${r.errors + r.non2xx} |`,
  );
  const ratios = report.ratios.map((r) => `| ${r.path} | ${r.floor} | ${(r.ratio * 100).toFixed(0)} % |`);
  const crypto = report.crypto.map((c) => `| ${c.name} | ${c.opsPerSecond.toLocaleString('en')} |`);
  const engine = (report.engine ?? []).map((e) => `| ${e.name} | ${e.p50Ms} | ${e.p99Ms} |`);
  return [
    `Run ${report.startedAt}${report.quick ? ' (quick)' : ''} on ${report.machine.cores} × ${report.machine.cpus}, ` +
      `${report.machine.memoryGiB} GiB, Node ${report.machine.node}, ${report.machine.postgres}; ` +
      `${report.tokensSeeded.toLocaleString('en')} tokens seeded; TSP ${report.tspBuild ?? 'source'} ` +
      (report.tspNodeOptions ? `with NODE_OPTIONS \`${report.tspNodeOptions}\` ` : '') +
      `(primary + ${report.machine.cores} workers), peak RSS ${report.tspPeakRssMiB} MiB for the cluster` +
      (report.tspPeakProcessRssMiB ? `, ${report.tspPeakProcessRssMiB} MiB for the largest process` : '') +
      (report.loadAverage ? `; load average ${report.loadAverage.start.toFixed(1)} at the start, ${report.loadAverage.end.toFixed(1)} at the end` : '') +
      (report.wallSeconds ? `; wall time ${Math.floor(report.wallSeconds / 60)} min ${Math.round(report.wallSeconds % 60)} s` : '') +
      '.',
    ...(report.postgresSettings
      ? ['', `Postgres settings: ${Object.entries(report.postgresSettings).map(([name, value]) => `\`${name}\` ${value}`).join(', ')}.`]
      : []),
    '',
    '| path | connections | req/s | p50 ms | p95 ms | p99 ms | errors |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    '| path | floor (same run) | throughput vs floor |',
    '|---|---|---|',
    ...ratios,
    '',
    '| crypto step alone (one core) | ops/s |',
    '|---|---|',
    ...crypto,
    ...(engine.length ? ['', '| risk engine | p50 ms | p99 ms |', '|---|---|---|', ...engine] : []),
    '',
    '![throughput vs concurrency](benchmarks-throughput.svg)',
  ].join('\n');
}

/** A small line chart: req/s against concurrency for each path measured at several levels. */
export function throughputSvg(runs: LoadResult[]): string {
  const series = new Map<string, Array<{ x: number; y: number }>>();
  for (const run of runs) {
    const match = /^(.*) @\d+$/.exec(run.name);
    if (!match?.[1] || run.rate) continue;
    const points = series.get(match[1]) ?? [];
    points.push({ x: run.connections, y: run.rps });
    series.set(match[1], points);
  }
  const width = 640;
  const height = 360;
  const pad = 56;
  const all = [...series.values()].flat();
  const maxX = Math.max(1, ...all.map((p) => p.x));
  const maxY = Math.max(1, ...all.map((p) => p.y)) * 1.1;
  const sx = (x: number) => pad + (x / maxX) * (width - 2 * pad);
  const sy = (y: number) => height - pad - (y / maxY) * (height - 2 * pad);
  const colors = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];
  const lines = [...series.entries()].map(([name, points], i) => {
    const color = colors[i % colors.length];
    const sorted = points.sort((a, b) => a.x - b.x);
    const d = sorted.map((p, j) => `${j ? 'L' : 'M'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ');
    const dots = sorted.map((p) => `<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3" fill="${color}"/>`).join('');
    const legend = `<text x="${width - pad - 180}" y="${pad + 16 * i}" fill="${color}" font-size="12">${escapeXml(name)}</text>`;
    return `<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>${dots}${legend}`;
  });
  const yTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const v = Math.round(maxY * f);
    return `<text x="${pad - 8}" y="${sy(v) + 4}" font-size="11" text-anchor="end">${v}</text><line x1="${pad}" x2="${width - pad}" y1="${sy(v)}" y2="${sy(v)}" stroke="#eee"/>`;
  });
  const xTicks = [...new Set(all.map((p) => p.x))].map(
    (x) => `<text x="${sx(x)}" y="${height - pad + 16}" font-size="11" text-anchor="middle">${x}</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
${yTicks.join('\n')}
${xTicks.join('\n')}
<text x="${width / 2}" y="${height - 12}" font-size="12" text-anchor="middle">concurrent connections</text>
<text x="14" y="${height / 2}" font-size="12" transform="rotate(-90 14 ${height / 2})" text-anchor="middle">requests / s</text>
${lines.join('\n')}
</svg>
`;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] ?? c);
}

/** Writes results/<date>.json, the chart, and the latest table into docs/benchmarks.md. */
export function writeReport(report: BenchReport): { jsonPath: string } {
  const resultsDir = path.join(__dirname, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const jsonPath = path.join(resultsDir, `${report.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(path.join(REPO, 'docs', 'benchmarks-throughput.svg'), throughputSvg(report.runs));
  const docPath = path.join(REPO, 'docs', 'benchmarks.md');
  const doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : `# Benchmarks\n\n${MARK_START}\n${MARK_END}\n`;
  const start = doc.indexOf(MARK_START);
  const end = doc.indexOf(MARK_END);
  const table = `${MARK_START}\n${markdownTable(report)}\n${MARK_END}`;
  const updated = start >= 0 && end > start ? doc.slice(0, start) + table + doc.slice(end + MARK_END.length) : `${doc}\n${table}\n`;
  writeFileSync(docPath, updated);
  return { jsonPath };
}

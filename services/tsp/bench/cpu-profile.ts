import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The parts of a V8 `.cpuprofile` (written by `node --cpu-prof`) the summary reads. */
interface CpuProfile {
  nodes: Array<{ id: number; callFrame: Frame; children?: number[] }>;
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

interface Frame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

export interface ProfileSummary {
  /** Sampled wall time in ms (within the window), and the part the process was busy (not idle). */
  totalMs: number;
  busyMs: number;
  /** Highest first; `share` is of the busy time. */
  functions: Array<{ name: string; selfMs: number; share: number }>;
  modules: Array<{ name: string; selfMs: number; share: number }>;
}

/**
 * Where a file's code lives, at the grain that says what to change: a folder of our sources
 * (`tsp src/domain/payments`), a workspace package, a third-party package, a node internal.
 */
export function moduleOf(file: string): string {
  if (file.startsWith('node:')) return `node:${file.slice(5).split('/').slice(0, 2).join('/')}`;
  const nm = file.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = file.slice(nm + '/node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const tsp = file.indexOf('/services/tsp/src/');
  if (tsp >= 0) {
    const rest = file.slice(tsp + '/services/tsp/src/'.length).split('/');
    return `tsp src/${rest.length > 2 ? rest.slice(0, 2).join('/') : rest[0]}`;
  }
  const pkg = file.match(/\/packages\/([^/]+)\//);
  if (pkg) return `@opentsp/${pkg[1]}`;
  return shortPath(file);
}

function shortPath(file: string): string {
  const nm = file.lastIndexOf('/node_modules/');
  if (nm >= 0) return file.slice(nm + '/node_modules/'.length);
  const src = file.search(/\/(services|packages)\//);
  return src >= 0 ? file.slice(src + 1) : file;
}

/**
 * Frames of a bundle (the compiled TSP, dist/cli/main.js) are mapped back to their source file
 * and line through the bundle's source map, so a profile of what production runs still says
 * which of our files (or which bundled package) the time went to.
 */
export class FrameResolver {
  private readonly maps = new Map<string, SourceMap | null>();

  resolve(frame: Frame): { file: string; line: number } | null {
    if (!frame.url) return null;
    const file = frame.url.startsWith('file://') ? fileURLToPath(frame.url) : frame.url;
    const map = this.mapOf(file);
    if (map) {
      const entry = map.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string; originalLine?: number };
      if (entry.originalSource) return { file: path.resolve(path.dirname(file), entry.originalSource), line: (entry.originalLine ?? 0) + 1 };
    }
    return { file, line: frame.lineNumber + 1 };
  }

  private mapOf(file: string): SourceMap | null {
    if (!file.endsWith('.js') || file.startsWith('node:')) return null;
    if (!this.maps.has(file)) {
      const mapFile = `${file}.map`;
      this.maps.set(file, existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8'))) : null);
    }
    return this.maps.get(file) ?? null;
  }
}

/** Native calls that write to a socket. */
const SOCKET_SENDS = new Set(['writev', 'writeBuffer', 'writeUtf8String', 'writeLatin1String', 'writeAsciiString']);

/**
 * Self time by function, and by module. A sample's time is the delta to the next sample (as
 * Chrome DevTools counts it), given to the frame on top of the stack. In the module table, time
 * in node internals and native code (socket writes, crypto, JSON) goes to the module that
 * called into them, because that is what one can change; socket sends are the exception, shown
 * as `socket sends (<caller>)` (see below).
 * `window` (µs on the monotonic clock of process.hrtime) keeps only the samples of the
 * measured load, without start-up and warm-up.
 */
export function summarizeCpuProfile(file: string, window?: { fromUs: number; toUs: number }, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const resolver = new FrameResolver();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);

  const place = new Map<number, { fn: string; owner: string }>();
  const placeOf = (id: number): { fn: string; owner: string } => {
    const known = place.get(id);
    if (known) return known;
    const frame = byId.get(id)!.callFrame;
    const at = resolver.resolve(frame);
    const name = frame.functionName || '(anonymous)';
    const fn = at ? `${name} ${shortPath(at.file)}:${at.line}` : frame.functionName || '(native)';
    let owner: string;
    if (!at && frame.functionName.startsWith('(')) owner = frame.functionName; // (garbage collector), (program)
    else if (at && !at.file.startsWith('node:')) owner = moduleOf(at.file);
    else {
      // native or node internal: charge the nearest caller that is a package or our code
      let p = parentOf.get(id);
      owner = at ? moduleOf(at.file) : '(native)';
      while (p !== undefined) {
        const caller = resolver.resolve(byId.get(p)!.callFrame);
        if (caller && !caller.file.startsWith('node:')) {
          owner = moduleOf(caller.file);
          break;
        }
        p = parentOf.get(p);
      }
      // A send on a loopback socket wakes its reader (the Postgres backend, the load generator),
      // which may take the core while the sampler still sees the sender inside the call: these
      // rows are mostly other processes' time, so they are shown apart from the caller's own.
      if (SOCKET_SENDS.has(frame.functionName)) owner = `socket sends (${owner})`;
    }
    const result = { fn, owner };
    place.set(id, result);
    return result;
  };

  const fnTime = new Map<string, number>();
  const ownerTime = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    const us = profile.timeDeltas[i + 1] ?? 0;
    if (us <= 0 || (window && (t < window.fromUs || t > window.toUs))) continue;
    const id = profile.samples[i]!;
    totalUs += us;
    if (byId.get(id)!.callFrame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const { fn, owner } = placeOf(id);
    fnTime.set(fn, (fnTime.get(fn) ?? 0) + us);
    ownerTime.set(owner, (ownerTime.get(owner) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs;
  const rank = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, selfMs: Math.round(us / 1000), share: busyUs ? us / busyUs : 0 }));
  return { totalMs: Math.round(totalUs / 1000), busyMs: Math.round(busyUs / 1000), functions: rank(fnTime), modules: rank(ownerTime) };
}

export function profileMarkdown(title: string, summary: ProfileSummary, note: string): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  const rows = (items: ProfileSummary['functions']) => items.map((f) => `| \`${f.name.replace(/\|/g, '\\|')}\` | ${f.selfMs.toLocaleString('en-US')} | ${pct(f.share)} |`);
  return [
    `#### ${title}`,
    '',
    `${note} Sampled ${(summary.totalMs / 1000).toFixed(1)} s of load, busy ${(summary.busyMs / 1000).toFixed(1)} s (${pct(summary.busyMs / Math.max(1, summary.totalMs))}).`,
    '',
    '| module (self time, with the node internals and native calls it made; socket sends apart) | ms | share of busy |',
    '|---|---|---|',
    ...rows(summary.modules),
    '',
    '| function (self time) | ms | share of busy |',
    '|---|---|---|',
    ...rows(summary.functions),
  ].join('\n');
}

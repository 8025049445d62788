import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

/**
 * The one-way layers of services/tsp/src (docs/architecture.md), as .dependency-cruiser.cjs
 * writes them: the real source has no violation, and the same configuration reports an upward
 * import and an import cycle (both type-only, so type imports are proven to count).
 */
const REPO = resolve(__dirname, '../../../..');
const CONFIG = join(REPO, '.dependency-cruiser.cjs');
const DEPCRUISE = join(REPO, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
  cycle?: unknown[];
}

/** Runs dependency-cruiser (ESM-only, so as a process) on services/tsp/src under `cwd`. */
async function cruise(cwd: string): Promise<Violation[]> {
  const { stdout } = await promisify(execFile)(process.execPath, [DEPCRUISE, '--config', CONFIG, '--output-type', 'json', 'services/tsp/src'], {
    cwd,
    maxBuffer: 64 * 1024 * 1024,
  }).catch((err: { stdout?: string }) => {
    // A run that finds violations exits non-zero; its JSON report is still on stdout.
    if (err.stdout) return { stdout: err.stdout };
    throw err;
  });
  return (JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

describe('layers of services/tsp/src', () => {
  let fixture: string;

  beforeAll(async () => {
    fixture = await mkdtemp(join(tmpdir(), 'opentsp-layers-'));
    const files: Record<string, string> = {
      // The domain reaching up into the HTTP layer, by a type import only.
      'domain/tokens/use-route.ts': "import type { RouteThing } from '../../http/route-thing';\nexport type Used = RouteThing;\n",
      'http/route-thing.ts': 'export interface RouteThing { id: string }\n',
      // A cycle inside one layer, type imports only.
      'store/a.ts': "import type { B } from './b';\nexport interface A { b?: B }\n",
      'store/b.ts': "import type { A } from './a';\nexport interface B { a?: A }\n",
      // Downward imports are fine.
      'http/uses-domain.ts': "import type { Used } from '../domain/tokens/use-route';\nexport type Again = Used;\n",
    };
    for (const [path, text] of Object.entries(files)) {
      const file = join(fixture, 'services/tsp/src', path);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, text);
    }
  });

  afterAll(async () => {
    await rm(fixture, { recursive: true, force: true });
  });

  it('has no upward import and no import cycle (type-only imports included)', async () => {
    const violations = await cruise(REPO);
    expect(violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).toEqual([]);
  }, 180_000);

  it('reports an upward type import and a type-only cycle added to a source tree', async () => {
    const violations = await cruise(fixture);
    const found = violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();
    // dependency-cruiser reports a cycle once, at its first edge.
    expect(found).toEqual([
      'no-circular: services/tsp/src/store/a.ts → services/tsp/src/store/b.ts',
      'no-upward-from-domain: services/tsp/src/domain/tokens/use-route.ts → services/tsp/src/http/route-thing.ts',
    ]);
  }, 180_000);
});

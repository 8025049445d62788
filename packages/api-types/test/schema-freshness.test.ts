import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

describe('generated API types', () => {
  it.each(['schema.d.ts', 'contract-tables.ts'])('%s matches openapi/tsp.yaml (run `pnpm gen` after changing the contract)', (name) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'api-types-'));
    try {
      execFileSync(process.execPath, [path.join(__dirname, '..', 'scripts', 'generate.js'), path.join(dir, 'schema.d.ts')]);
      const committed = readFileSync(path.join(__dirname, '..', 'src', name), 'utf8');
      expect(committed).toBe(readFileSync(path.join(dir, name), 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

describe('generated API types', () => {
  it('match openapi/tsp.yaml (run `pnpm gen` after changing the contract)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'api-types-'));
    try {
      const fresh = path.join(dir, 'schema.d.ts');
      execFileSync(process.execPath, [path.join(__dirname, '..', 'scripts', 'generate.js'), fresh]);
      const committed = readFileSync(path.join(__dirname, '..', 'src', 'schema.d.ts'), 'utf8');
      expect(committed).toBe(readFileSync(fresh, 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';

const NODE_BUILTINS = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

/** Records every import of a Node built-in anywhere in the bundle graph (ours or a dependency's). */
function nodeBuiltinSpy(found: string[]): Plugin {
  return {
    name: 'node-builtin-spy',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (NODE_BUILTINS.has(args.path) || args.path.startsWith('node:')) found.push(`${args.path} (from ${args.importer})`);
        return undefined;
      });
    },
  };
}

async function bundle(entry: string): Promise<{ found: string[]; errors: number; text: string }> {
  const found: string[] = [];
  const result = await build({
    entryPoints: [join(__dirname, '..', 'src', entry)],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    plugins: [nodeBuiltinSpy(found)],
  });
  return { found, errors: result.errors.length, text: result.outputFiles[0]?.text ?? '' };
}

describe('browser entry', () => {
  it('bundles for the browser with esbuild, with no Node built-in anywhere in the graph', async () => {
    const { found, errors, text } = await bundle('browser.ts');
    expect(errors).toBe(0);
    expect(found).toEqual([]);
    expect(text).toContain('OpenTSP-Signature');
    expect(text).not.toMatch(/require\(["']node:/);
  });

  it('the guard itself reports a Node import (so a passing run means something)', async () => {
    const found: string[] = [];
    await build({
      stdin: { contents: "import { randomBytes } from 'node:crypto'; export const r = randomBytes; export * from './browser';", resolveDir: join(__dirname, '..', 'src'), loader: 'ts' },
      bundle: true,
      platform: 'browser',
      write: false,
      logLevel: 'silent',
      plugins: [nodeBuiltinSpy(found)],
    }).catch(() => undefined);
    expect(found).toEqual(['node:crypto (from <stdin>)']);
  });
});

import { execFileSync } from 'node:child_process';

/**
 * The documentation walk-throughs are shell (bash, curl, jq), as integrators will run them.
 * CI installs those tools (.ci/run); on a machine without them the walk-through tests are
 * skipped with a warning instead of failing for a missing tool.
 */
export function missingShellTools(tools: readonly string[] = ['bash', 'curl', 'jq']): string[] {
  return tools.filter((tool) => {
    try {
      execFileSync('bash', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
}

/** `describe`, or `describe.skip` (with a warning) when a tool the walk-through needs is missing. */
export function describeWithShellTools(name: string, body: () => void): void {
  const missing = missingShellTools();
  if (missing.length) {
    // eslint-disable-next-line no-console
    console.warn(`skipping "${name}": ${missing.join(', ')} not installed (CI installs them)`);
    describe.skip(name, body);
  } else {
    describe(name, body);
  }
}

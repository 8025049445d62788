// @ts-check
/**
 * A jest reporter that writes one JSON line per test file to `$OPENTSP_TEST_TIMINGS` (nothing
 * when unset): path, project, wall time, tests, and, when jest runs in band, the CPU seconds
 * the file cost this process and the children it waited for (spawned CLIs, servers). CPU is
 * the number to compare on a shared machine: wall time there mostly measures the neighbours.
 *
 *   OPENTSP_TEST_TIMINGS=/tmp/timings.jsonl pnpm exec jest --runInBand
 *   node test/support/timings-summary.mjs /tmp/timings.jsonl
 */
const { appendFileSync, readFileSync } = require('node:fs');
const path = require('node:path');

/** utime + stime + cutime + cstime of this process, in seconds (Linux; 0 elsewhere). */
function cpuSeconds() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the command name: state is field 3, utime 14 … cstime 17 (1-based, proc(5)).
    const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
    return ticks / 100;
  } catch {
    return 0;
  }
}

class TimingReporter {
  constructor(globalConfig) {
    this.out = process.env.OPENTSP_TEST_TIMINGS;
    this.rootDir = globalConfig.rootDir;
    // One worker means in band: the files run in this process (jest still sets JEST_WORKER_ID).
    this.inBandRun = globalConfig.maxWorkers <= 1;
    /** @type {Map<string, number>} */
    this.cpuAtStart = new Map();
  }

  onTestStart(test) {
    if (this.out) this.cpuAtStart.set(test.path, cpuSeconds());
  }

  onTestResult(test, result) {
    if (!this.out) return;
    const started = this.cpuAtStart.get(test.path);
    // In band, files run one after another in this process: the CPU delta is this file's.
    const inBand = this.inBandRun && started !== undefined && this.cpuAtStart.size === 1;
    this.cpuAtStart.delete(test.path);
    const line = {
      file: path.relative(this.rootDir, test.path),
      project: test.context.config.displayName?.name ?? null,
      wallSeconds: result.perfStats.runtime / 1000,
      cpuSeconds: inBand ? Math.round((cpuSeconds() - started) * 100) / 100 : null,
      tests: result.numPassingTests + result.numFailingTests,
      failed: result.numFailingTests + (result.testExecError ? 1 : 0),
    };
    appendFileSync(this.out, `${JSON.stringify(line)}\n`);
  }
}

module.exports = TimingReporter;

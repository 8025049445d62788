// Summarises a timing file written by timing-reporter.js: per project and overall, the files'
// wall seconds (and CPU seconds when the run was in band), then the slowest files.
//   node test/support/timings-summary.mjs /tmp/timings.jsonl [how many slowest, default 15]
import { readFileSync } from 'node:fs';

const [file, top = '15'] = process.argv.slice(2);
if (!file) {
  console.error('usage: node test/support/timings-summary.mjs <timings.jsonl> [top]');
  process.exit(2);
}
const rows = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
const sum = (list, key) => list.reduce((total, r) => total + (r[key] ?? 0), 0);
const fmt = (n) => n.toFixed(1).padStart(8);

const projects = [...new Set(rows.map((r) => r.project ?? '(none)'))];
console.log(`${'project'.padEnd(20)}${'files'.padStart(6)}${'tests'.padStart(7)}${'wall s'.padStart(8)}${'cpu s'.padStart(8)}`);
for (const project of [...projects, 'all']) {
  const mine = project === 'all' ? rows : rows.filter((r) => (r.project ?? '(none)') === project);
  const cpu = mine.some((r) => r.cpuSeconds !== null) ? fmt(sum(mine, 'cpuSeconds')) : '       -';
  console.log(`${project.padEnd(20)}${String(mine.length).padStart(6)}${String(sum(mine, 'tests')).padStart(7)}${fmt(sum(mine, 'wallSeconds'))}${cpu}`);
}
console.log(`\nslowest ${top} files (wall s, cpu s):`);
for (const r of [...rows].sort((a, b) => b.wallSeconds - a.wallSeconds).slice(0, Number(top))) {
  console.log(`${fmt(r.wallSeconds)}${r.cpuSeconds === null ? '       -' : fmt(r.cpuSeconds)}  ${r.file}${r.failed ? `  (${r.failed} failed)` : ''}`);
}

/**
 * A one-line progress bar on stderr (a TTY redraws it; a log file gets one line per step).
 */
export class ProgressBar {
  private done = 0;
  private readonly started = Date.now();

  constructor(
    private readonly total: number,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {}

  step(label: string): void {
    this.done = Math.min(this.total, this.done + 1);
    const width = 28;
    const filled = Math.round((this.done / this.total) * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    const elapsed = ((Date.now() - this.started) / 1000).toFixed(0);
    const line = `[${bar}] ${this.done}/${this.total} ${elapsed}s ${label}`;
    if (this.out.isTTY) this.out.write(`\r\x1b[2K${line}`);
    else this.out.write(`${line}\n`);
  }

  finish(): void {
    if (this.out.isTTY) this.out.write('\n');
  }
}

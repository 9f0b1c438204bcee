/**
 * Progress on stderr: a line per finished phase; on a terminal also a counter that
 * redraws in place (carriage return) while a phase runs. Nothing transient reaches a file.
 */
export class Progress {
  private readonly tty: boolean;
  private timer: NodeJS.Timeout | undefined;
  private phase = '';
  private total = 0;
  private count = 0;
  private started = 0;
  private transient = false;

  constructor(private readonly out: NodeJS.WriteStream) {
    this.tty = out.isTTY === true;
  }

  /** A line saying what is happening: transient on a terminal, kept in a file. */
  note(line: string): void {
    if (this.tty) this.draw(line);
    else this.out.write(`${line}\n`);
  }

  start(phase: string, total: number): void {
    this.stopTimer();
    this.phase = phase;
    this.total = total;
    this.count = 0;
    this.started = performance.now();
    if (!this.tty) return;
    this.render();
    this.timer = setInterval(() => this.render(), 200);
    this.timer.unref();
  }

  add(n: number): void {
    this.count += n;
  }

  /** Ends the phase with a line that stays. */
  done(line: string): void {
    this.clear();
    this.out.write(`${line}\n`);
  }

  clear(): void {
    this.stopTimer();
    if (this.transient) this.out.write('\r\x1b[K');
    this.transient = false;
  }

  private render(): void {
    const seconds = (performance.now() - this.started) / 1000;
    const rate = seconds > 0 ? Math.round(this.count / seconds) : 0;
    const pct = this.total > 0 ? Math.floor((100 * this.count) / this.total) : 0;
    this.draw(
      `${this.phase}: ${this.count.toLocaleString('en-US')} / ${this.total.toLocaleString('en-US')} records ` +
        `(${pct}%), ${rate.toLocaleString('en-US')} records/s, ${seconds.toFixed(1)} s`,
    );
  }

  private draw(line: string): void {
    const width = this.out.columns ? this.out.columns - 1 : 200;
    this.out.write(`\r\x1b[K${line.slice(0, width)}`);
    this.transient = true;
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

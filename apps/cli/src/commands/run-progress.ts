import type { CommandIo } from './io.js';

/**
 * The progress line of `fmi run` on stderr: how many ranks started and how many connected (joined
 * the job's rendezvous server, i.e. opened their `direct` channel — the local platform reports it;
 * others report only starts). On a terminal it redraws one line and steps aside for rank output;
 * otherwise it writes a line when the job starts and one when every rank is up.
 */
export class RunProgress {
  private started = 0;
  private connected = 0;
  private visible = false;
  private done = false;
  private readonly t0 = Date.now();
  private begun: { job: string; platform: string } | undefined;
  private shown = false;

  constructor(
    private readonly io: CommandIo,
    private readonly size: number,
    private readonly reportsConnections: boolean,
    private readonly enabled: boolean,
  ) {}

  /** The launch begins; the line appears with the first started rank (a refused launch shows none). */
  begin(job: string, platform: string): void {
    this.begun = { job, platform };
  }

  rankStarted(): void {
    this.started++;
    if (this.enabled && !this.shown && this.begun) {
      this.shown = true;
      if (!this.io.stderrIsTty) this.io.err(`fmi: starting ${this.size} ranks of job ${this.begun.job} on ${this.begun.platform}…`);
    }
    this.update();
  }

  rankConnected(): void {
    this.connected++;
    this.update();
  }

  /** Around a line of rank output: the progress line must not be mixed into it. */
  aside(write: () => void): void {
    if (this.visible) this.io.rawErr('\r\x1b[K');
    this.visible = false;
    write();
    if (this.enabled && this.io.stderrIsTty && !this.done) this.draw();
  }

  /** The job ended: leave the last state on its own line if it was never completed. */
  end(): void {
    if (!this.enabled || this.done || !this.shown) return;
    this.finish();
  }

  private update(): void {
    if (!this.enabled || this.done) return;
    const up = this.reportsConnections ? this.connected === this.size : this.started === this.size;
    if (up) this.finish();
    else if (this.io.stderrIsTty) this.draw();
  }

  private finish(): void {
    this.done = true;
    if (this.visible) this.io.rawErr('\r\x1b[K');
    this.visible = false;
    this.io.err(`fmi: ${this.text()} (${Date.now() - this.t0} ms)`);
  }

  private text(): string {
    const started = `${this.started}/${this.size} started`;
    return this.reportsConnections ? `${started}, ${this.connected}/${this.size} connected` : started;
  }

  private draw(): void {
    this.io.rawErr(`\r\x1b[Kfmi: starting ${this.size} ranks… ${this.text()}`);
    this.visible = true;
  }
}

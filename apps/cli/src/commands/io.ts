/** What a command reads and writes, so `main()` can be driven with other streams. */
export interface CommandIo {
  /** A line (or lines) for stdout. */
  out(text: string): void;
  /** A line (or lines) for stderr. */
  err(text: string): void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdoutIsTty: boolean;
  readonly stderrIsTty: boolean;
  /** Writes raw text to stderr (progress lines that redraw themselves). */
  rawErr(text: string): void;
  rawOut(text: string): void;
}

export const processIo: CommandIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  rawOut: (text) => process.stdout.write(text),
  rawErr: (text) => process.stderr.write(text),
  env: process.env,
  stdoutIsTty: process.stdout.isTTY === true,
  stderrIsTty: process.stderr.isTTY === true,
};

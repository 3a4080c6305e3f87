import { FmiError } from '@fmi/core';

/** Exit codes of `fmi` (documented in the README). */
export const EXIT = {
  ok: 0,
  /** A job failed, a runtime error, or a rank failed with a code outside 1..125. */
  failure: 1,
  /** A bad flag, argument or configuration: nothing ran. */
  usage: 2,
  /** The job did not finish within `--timeout`. */
  timeout: 124,
  /** Interrupted by SIGINT (Ctrl-C); SIGTERM gives 143. */
  interrupted: 130,
} as const;

/**
 * A wrong command line: `flag` names the flag or argument at fault (`--ranks`, `<script>`), and the
 * message says what to do. Exits with `EXIT.usage`.
 */
export class UsageError extends Error {
  constructor(
    readonly flag: string,
    message: string,
  ) {
    super(message.startsWith(flag) ? message : `${flag}: ${message}`);
    this.name = 'UsageError';
  }
}

/**
 * The one line `fmi` prints for an error: `fmi: error: <what>`. An FmiError's `[fmi]` prefix goes,
 * only its first line is kept (config errors list further problems on later lines), and its
 * `field` is named when the message does not already say it.
 */
export function errorLine(error: unknown): string {
  let text: string;
  if (error instanceof UsageError) text = error.message;
  else if (FmiError.is(error)) {
    text = error.message
      .replace(/^\[fmi\] /, '')
      .split('\n')[0]
      .trim();
    if (error.field && !text.includes(error.field)) text = `${error.field}: ${text}`;
  } else if (error instanceof Error) text = error.message.split('\n')[0].trim() || error.name;
  else text = String(error);
  return `fmi: error: ${text}`;
}

/** The exit code for an error that ended a command. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError) return EXIT.usage;
  if (FmiError.is(error) && (error.kind === 'config' || error.kind === 'invalid-argument')) return EXIT.usage;
  if (FmiError.is(error) && error.kind === 'timeout') return EXIT.timeout;
  return EXIT.failure;
}

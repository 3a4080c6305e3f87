import { RANK_ERROR_MARKER } from './rank-hooks.js';

/** The error a failed rank reported, as far as its stderr tells. */
export interface RankError {
  readonly message: string;
  readonly kind?: string;
}

/** Parses a `[fmi:rank-error] {...}` line written by the rank hooks; `undefined` for any other line. */
export function parseErrorRecord(line: string): RankError | undefined {
  if (!line.startsWith(RANK_ERROR_MARKER)) return undefined;
  try {
    const record = JSON.parse(line.slice(RANK_ERROR_MARKER.length)) as { name?: unknown; message?: unknown; kind?: unknown };
    const name = typeof record.name === 'string' ? record.name : 'Error';
    const message = typeof record.message === 'string' && record.message !== '' ? `${name}: ${record.message}` : name;
    return typeof record.kind === 'string' ? { message, kind: record.kind } : { message };
  } catch {
    return undefined;
  }
}

// `FmiError: [fmi] ...`, `TypeError: x is not a function`, `Error [ERR_X]: ...` — the first line of
// Node's report of an error (uncaught, or printed with console.error).
const ERROR_LINE = /^(?:Uncaught )?([A-Za-z_$][\w$]*(?:Error|Exception)(?: \[[A-Z0-9_]+\])?): (.+)$/;
const KIND_LINE = /^\s+kind: '([a-z-]+)',?$/;

/**
 * The error of a rank that died without an error record (it caught the error, printed it and
 * called `process.exit`): the first error line Node's format would print, with the FmiError `kind`
 * from the inspected properties that follow it; else the last non-empty line.
 */
export function guessErrorFromStderr(lines: readonly string[]): RankError | undefined {
  for (let i = 0; i < lines.length; i++) {
    const m = ERROR_LINE.exec(lines[i]);
    if (!m) continue;
    let kind: string | undefined;
    for (let j = i + 1; j < Math.min(lines.length, i + 40); j++) {
      const k = KIND_LINE.exec(lines[j]);
      if (k) {
        kind = k[1];
        break;
      }
    }
    const message = `${m[1]}: ${m[2]}`;
    return kind ? { message, kind } : { message };
  }
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i].trim() !== '') return { message: lines[i].trim() };
  return undefined;
}

import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './cli-error.js';
import { parseSize } from './size.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface ParsedFlags {
  readonly values: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: string[];
}

/**
 * `node:util` parseArgs, with its errors turned into one-line `UsageError`s that name the flag and
 * point at `--help`. `stopAtFirstPositional` keeps everything after the script for the script
 * (`fmi run -n 4 app.js --lr 0.1`), as mpirun does.
 */
export function parseFlags(command: string, args: readonly string[], options: Options, stopAtFirstPositional = false): ParsedFlags {
  let own = [...args];
  let rest: string[] = [];
  if (stopAtFirstPositional) {
    const at = firstPositional(args, options);
    if (at >= 0) {
      own = args.slice(0, at);
      rest = args.slice(at);
    }
  }
  try {
    const { values, positionals } = parseArgs({ args: own, options, strict: true, allowPositionals: true });
    return { values: values as ParsedFlags['values'], positionals: [...positionals, ...rest] };
  } catch (e) {
    throw toUsageError(command, e as Error & { code?: string });
  }
}

/** Index of the first argument that is neither a flag nor a flag's value; -1 when there is none. */
function firstPositional(args: readonly string[], options: Options): number {
  const byShort = new Map(
    Object.entries(options)
      .filter(([, o]) => o.short)
      .map(([name, o]) => [o.short as string, name]),
  );
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') return i + 1 < args.length ? i + 1 : -1;
    if (!a.startsWith('-') || a === '-') return i;
    if (a.includes('=')) continue;
    const name = a.startsWith('--') ? a.slice(2) : byShort.get(a.slice(1, 2));
    // `-n4` carries its value; `-n 4` takes the next argument.
    if (!a.startsWith('--') && a.length > 2) continue;
    if (name && options[name]?.type === 'string') i++;
  }
  return -1;
}

function toUsageError(command: string, e: Error & { code?: string }): UsageError {
  const help = `see \`fmi ${command} --help\``;
  const flag = /'(-[^' ]+)/.exec(e.message)?.[1] ?? /(--?[A-Za-z][\w-]*)/.exec(e.message)?.[1] ?? `fmi ${command}`;
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new UsageError(flag, `unknown flag — ${help}`);
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return new UsageError(flag.replace(/,$/, ''), /argument missing/.test(e.message) ? `needs a value — ${help}` : `takes no value — ${help}`);
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return new UsageError(flag, `unexpected argument — ${help}`);
    default:
      return new UsageError(`fmi ${command}`, `${e.message} — ${help}`);
  }
}

/** A positive integer flag (`--ranks 8`). */
export function intFlag(flag: string, value: string | undefined, { min = 1, max = Number.MAX_SAFE_INTEGER } = {}): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(flag, `must be an integer ${min}..${max}, got "${value}"`);
  return n;
}

/** A byte size flag (`--bytes 64KiB`). */
export function sizeFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseSize(value);
  } catch (e) {
    throw new UsageError(flag, (e as Error).message);
  }
}

/** One of a fixed set (`--hint fast`). */
export function choiceFlag<T extends string>(flag: string, value: string | undefined, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) throw new UsageError(flag, `must be one of ${choices.join(', ')}, got "${value}"`);
  return value as T;
}

export function str(values: ParsedFlags['values'], name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function bool(values: ParsedFlags['values'], name: string): boolean {
  return values[name] === true;
}

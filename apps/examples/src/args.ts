import { parseArgs } from 'node:util';

/** A numeric command-line flag of an example. */
export interface NumberFlag {
  readonly default: number;
  readonly help: string;
  /** Reject non-integers (default true). */
  readonly integer?: boolean;
  readonly min?: number;
  readonly max?: number;
  /** The only values allowed, if given. */
  readonly choices?: readonly number[];
}

/** A bad flag or value: the entry point prints its message as one line and exits with code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Thrown for `--help`: the entry point prints the usage text and exits with code 0. */
export class HelpRequested extends Error {
  override readonly name = 'HelpRequested';
}

/** Usage text: one line of synopsis, then one line per flag with its default. */
export function usage<K extends string>(synopsis: string, spec: Readonly<Record<K, NumberFlag>>): string {
  const lines = [`usage: ${synopsis}`, ''];
  for (const [name, flag] of Object.entries(spec) as [string, NumberFlag][]) lines.push(`  --${name.padEnd(14)} ${flag.help} (default ${flag.default})`);
  lines.push(`  --${'help'.padEnd(14)} print this text`);
  return lines.join('\n');
}

/**
 * Parses `--name value` / `--name=value` flags, all numeric. Unknown flags, stray positionals and
 * out-of-range values are usage errors naming the flag — every rank parses the same argv before it
 * connects, so a typo fails the whole job at once instead of hanging it.
 */
export function parseNumberFlags<K extends string>(argv: readonly string[], spec: Readonly<Record<K, NumberFlag>>, synopsis: string): Record<K, number> {
  const names = Object.keys(spec) as K[];
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { help: { type: 'boolean' }, ...Object.fromEntries(names.map((n) => [n, { type: 'string' as const }])) },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message.split('\n')[0]} — try --help`);
  }
  if (parsed.values.help) throw new HelpRequested(usage(synopsis, spec));
  const out = {} as Record<K, number>;
  for (const name of names) {
    const flag = spec[name];
    const text = parsed.values[name];
    if (text === undefined) {
      out[name] = flag.default;
      continue;
    }
    const value = Number(text);
    if (typeof text !== 'string' || text.trim() === '' || !Number.isFinite(value)) throw new UsageError(`--${name} must be a number, got "${String(text)}"`);
    if ((flag.integer ?? true) && !Number.isInteger(value)) throw new UsageError(`--${name} must be an integer, got ${text}`);
    if (flag.min !== undefined && value < flag.min) throw new UsageError(`--${name} must be at least ${flag.min}, got ${text}`);
    if (flag.max !== undefined && value > flag.max) throw new UsageError(`--${name} must be at most ${flag.max}, got ${text}`);
    if (flag.choices !== undefined && !flag.choices.includes(value)) throw new UsageError(`--${name} must be one of ${flag.choices.join(', ')}, got ${text}`);
    out[name] = value;
  }
  return out;
}

import { FmiError } from '../errors.js';

/**
 * Strict checks of a provider's options objects (`gcp({ gcs })`, a `channels.gcs` section). A wrong
 * setting must fail before any rank starts talking — after that it becomes a distributed hang — so
 * every check throws `config` naming the exact field (`channels.gcs.bucket`,
 * `azure.functions.maxConcurrency`) in `FmiError.field`, and rejects keys it does not know (middy).
 */
export interface OptionChecks {
  /** `[fmi] [<where>] <field>: <message>`, kind `config`, with the field (and the channel, if any) set. */
  error(field: string, message: string, cause?: unknown): FmiError;
  /** The object at `path`, after rejecting anything that is not a plain object and every key not in `known`. */
  record(input: unknown, path: string, known: readonly string[]): Record<string, unknown>;
  /** A string that `test` finds no problem with (`test` returns the problem, worded without the value). */
  string(value: unknown, field: string, test: (s: string) => string | undefined): string;
  /** A whole number from `min` to `max`. */
  int(value: unknown, field: string, min: number, max: number): number;
  /** An http:// or https:// URL. */
  httpUrl(value: unknown, field: string): string;
}

/**
 * Checks whose errors say `[where]`: a channel (`gcs`, with `channel` set on the error too), a
 * platform (`gcp-functions`) or a provider module (`gcp`).
 */
export function optionChecks(where: string, options: { readonly channel?: string } = {}): OptionChecks {
  const error = (field: string, message: string, cause?: unknown) =>
    new FmiError('config', `[${where}] ${field}: ${message}`, { field, channel: options.channel, cause });
  const string = (value: unknown, field: string, test: (s: string) => string | undefined) => {
    if (typeof value !== 'string') throw error(field, `expected a string, got ${describeOptionValue(value)}`);
    const problem = test(value);
    if (problem) throw error(field, `${problem}, got ${describeOptionValue(value)}`);
    return value;
  };
  return {
    error,
    string,
    record(input, path, known) {
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        throw error(path, `expected an object with ${known.join(', ')}, got ${describeOptionValue(input)}`);
      }
      const record = input as Record<string, unknown>;
      const unknown = Object.keys(record).filter((key) => !known.includes(key));
      if (unknown.length > 0) {
        throw error(`${path}.${unknown[0]}`, `unknown setting${unknown.length > 1 ? `s ${unknown.join(', ')}` : ''} — known: ${known.join(', ')}`);
      }
      return record;
    },
    int(value, field, min, max) {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
        throw error(field, `expected a whole number from ${min} to ${max}, got ${describeOptionValue(value)}`);
      }
      return value;
    },
    httpUrl(value, field) {
      return string(value, field, (s) => {
        try {
          const url = new URL(s);
          return url.protocol === 'http:' || url.protocol === 'https:' ? undefined : 'expected an http:// or https:// URL';
        } catch {
          return 'expected an http:// or https:// URL';
        }
      });
    },
  };
}

/** A bad value as a message shows it: short, quoted when a string, and never more than 60 characters of it. */
export function describeOptionValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'function') return 'a function';
  return `${typeof value} ${String(value)}`;
}

/** Where a channel's settings come from, later winning: its config file section, the environment, the provider's options. */
export interface SettingSources<O> {
  readonly config?: unknown;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly options?: O;
  /** Field path of `options` in messages (`gcp.gcs`); each channel has its default. */
  readonly optionsPath?: string;
}

/** A variable's value, where an empty one counts as unset (as a shell's `FOO= cmd` means). */
export function envSetting(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

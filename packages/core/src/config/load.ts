import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { FmiError } from '../errors.js';
import { type ConfigOrigin, documentOrigin, parseWith } from './config-error.js';
import { configFromEnv, envOrigin } from './env.js';
import { isFmiOriginalConfig, translateFmiOriginal } from './fmi-original.js';
import { parseJsonText } from './json-text.js';
import { CONFIG_DEFAULTS, configSchema, type FmiConfig, type FmiConfigInput } from './schema.js';

/**
 * Loading the configuration: an `fmi.json` file, then `FMI_*` environment variables, then
 * programmatic options, each validated on its own (so an error names the file, the variable or
 * "options" it came from), merged with later sources winning, and finished with defaults.
 *
 * Everything here runs before a rank talks to anyone: a bad setting must stop the rank at start,
 * where it is one clear error, rather than leave N-1 peers waiting in a collective.
 */

export interface ResolveConfigInput {
  /**
   * An `fmi.json` path (relative to the working directory) or its already-parsed contents.
   * Default: the path in `env.FMI_CONFIG`; neither means no file. Either format is accepted:
   * FMI-TS or FMI's original (`backends` + `model`).
   */
  readonly file?: string | object;
  /** Where `FMI_*` variables are read from. Default: `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Programmatic settings; they win over the file and the environment. */
  readonly options?: FmiConfigInput;
}

/** Reads, validates and merges file < environment < options into the configuration FMI runs with. */
export async function resolveConfig(input: ResolveConfigInput = {}): Promise<FmiConfig> {
  const env = input.env ?? process.env;
  const file = fileToRead(input.file, env);
  const fromFile = file === undefined ? undefined : typeof file === 'string' ? await readConfigFile(file, viaEnv(input, env)) : parseConfigObject(file);
  return finish(fromFile, env, input.options);
}

/** `resolveConfig` without the event loop, for the CLI and other synchronous start-up code. */
export function resolveConfigSync(input: ResolveConfigInput = {}): FmiConfig {
  const env = input.env ?? process.env;
  const file = fileToRead(input.file, env);
  const fromFile = file === undefined ? undefined : typeof file === 'string' ? readConfigFileSync(file, viaEnv(input, env)) : parseConfigObject(file);
  return finish(fromFile, env, input.options);
}

/**
 * Validates one configuration document (the parsed contents of an `fmi.json`, in either format)
 * and returns it as FMI-TS input, without defaults. `source` names it in error messages, e.g. the
 * file path. Throws `FmiError` kind `config` with `field` set to the dotted path of the first bad
 * field.
 */
export function parseConfigObject(value: unknown, source = 'the configuration object'): FmiConfigInput {
  const origin = documentOrigin(source);
  if (isFmiOriginalConfig(value)) {
    const translated = translateFmiOriginal(value, origin);
    // The translation only produces checked values, so this cannot fail on the user's input; it
    // holds the translation itself to the schema (a port of 0 must not become a valid-looking URL).
    return parseWith(configSchema, translated, documentOrigin(`${source} (translated from FMI's original format)`));
  }
  return parseWith(configSchema, value, origin);
}

/** Reads and validates an `fmi.json`. `via` names the variable the path came from, for messages. */
export async function readConfigFile(path: string, via?: string): Promise<FmiConfigInput> {
  const absolute = resolve(path);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (cause) {
    throw unreadable(absolute, via, cause);
  }
  return parseConfigText(text, label(absolute, via));
}

/** `readConfigFile` without the event loop. */
export function readConfigFileSync(path: string, via?: string): FmiConfigInput {
  const absolute = resolve(path);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (cause) {
    throw unreadable(absolute, via, cause);
  }
  return parseConfigText(text, label(absolute, via));
}

/** Parses and validates the text of an `fmi.json`; `source` names it in messages. */
export function parseConfigText(text: string, source: string): FmiConfigInput {
  return parseConfigObject(parseJsonText(text, source), source);
}

/**
 * Merges configuration layers, later ones winning. Plain objects (`channels`, `model` and
 * everything inside them) merge key by key, so options can change one channel setting without
 * restating the file's section; anything else, and arrays, is replaced. `undefined` means "not
 * set" and never erases a value from an earlier layer.
 */
export function mergeConfig(...layers: ReadonlyArray<FmiConfigInput | undefined>): FmiConfigInput {
  let merged: Record<string, unknown> = {};
  for (const layer of layers) if (layer !== undefined) merged = mergeObjects(merged, layer as Record<string, unknown>);
  return merged as FmiConfigInput;
}

function fileToRead(file: string | object | undefined, env: Readonly<Record<string, string | undefined>>): string | object | undefined {
  if (file !== undefined) return file;
  const fromEnv = env.FMI_CONFIG?.trim();
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

function viaEnv(input: ResolveConfigInput, env: Readonly<Record<string, string | undefined>>): string | undefined {
  return input.file === undefined && env.FMI_CONFIG !== undefined ? 'FMI_CONFIG' : undefined;
}

function label(absolute: string, via: string | undefined): string {
  return via === undefined ? absolute : `${absolute} (named by ${via})`;
}

function unreadable(absolute: string, via: string | undefined, cause: unknown): FmiError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const what =
    code === 'ENOENT'
      ? 'does not exist'
      : code === 'EISDIR'
        ? 'is a directory'
        : code === 'EACCES'
          ? 'is not readable (permission denied)'
          : `cannot be read (${cause instanceof Error ? cause.message : String(cause)})`;
  const fix = via === undefined ? 'check the path' : `check the path, or unset ${via}`;
  return new FmiError('config', `config: file ${label(absolute, via)} ${what} — ${fix}`, { cause });
}

function finish(fromFile: FmiConfigInput | undefined, env: Readonly<Record<string, string | undefined>>, options: FmiConfigInput | undefined): FmiConfig {
  const fromEnv = parseWith(configSchema, configFromEnv(env), envOrigin);
  const fromOptions = options === undefined ? undefined : parseWith(configSchema, withoutUndefined(options), documentOrigin('options'));
  const merged = parseWith(configSchema, mergeConfig(fromFile, fromEnv, fromOptions), MERGED);
  return deepFreeze({
    job: merged.job,
    hint: merged.hint ?? CONFIG_DEFAULTS.hint,
    channel: merged.channel,
    timeoutMs: merged.timeoutMs ?? CONFIG_DEFAULTS.timeoutMs,
    memoryMiB: merged.memoryMiB ?? CONFIG_DEFAULTS.memoryMiB,
    logLevel: merged.logLevel ?? CONFIG_DEFAULTS.logLevel,
    channels: merged.channels ?? {},
    model: merged.model ?? {},
  });
}

// Each layer was valid on its own and merging valid layers keeps them valid; this origin would
// only show up if that stopped being true, which is a bug in the merge, not in the input.
const MERGED: ConfigOrigin = documentOrigin('the merged configuration');

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function mergeObjects(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(base)) setOwn(out, key, value);
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const previous = Object.hasOwn(out, key) ? out[key] : undefined;
    setOwn(out, key, isPlainObject(previous) && isPlainObject(value) ? mergeObjects(previous, value) : copyPlain(value));
  }
  return out;
}

/**
 * Options built in code often carry `key: undefined` for "not given" (`{ redis: opts.redis }`);
 * dropping those before validation makes them mean "not set" at every depth, as in the merge.
 */
function withoutUndefined(value: unknown): unknown {
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) if (inner !== undefined) setOwn(out, key, withoutUndefined(inner));
  return out;
}

/**
 * A copy of the plain objects and arrays in `value`; anything else (a client instance a caller put
 * into a channel section) is kept by reference. The copy is what gets frozen, never the caller's.
 */
function copyPlain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copyPlain);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) setOwn(out, key, copyPlain(inner));
  return out;
}

// defineProperty, not assignment: a JSON key "__proto__" is an own property of the parsed object
// and must stay data here, not replace the prototype of the merged result.
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

// The resolved configuration is shared by every part of a rank (channels, policy, model); freezing
// it keeps one part from changing what another already decided with.
// Only plain objects and arrays, which are our own copies (see copyPlain).
function deepFreeze<T>(value: T): T {
  if ((isPlainObject(value) || Array.isArray(value)) && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

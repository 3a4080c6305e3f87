import { z } from 'zod';
import { FmiError } from '../errors.js';

/**
 * Turns validation failures into one `FmiError` of kind `config` that says what is wrong, where it
 * came from and what to do. A config error has to be readable by someone looking at the log of one
 * rank of a job that failed to start, so the first problem leads the message and `field` names it
 * for code; the rest follow on their own lines, because fixing one at a time across a redeploy is
 * slow.
 */

/** Where a value came from, for messages: a file, an environment variable, the options object. */
export interface ConfigOrigin {
  /** `in /srv/fmi.json`, `from FMI_TIMEOUT_MS`, `in options`: where the value at `path` came from. */
  describe(path: readonly PropertyKey[]): string;
  /** How to get rid of an unknown key here, e.g. `remove it from /srv/fmi.json`. */
  removeHint(path: readonly PropertyKey[]): string;
}

/** An origin that is one labelled document: a file path, "options", or a caller's own label. */
export function documentOrigin(label: string): ConfigOrigin {
  return {
    describe: () => `in ${label}`,
    removeHint: () => `remove it from ${label}`,
  };
}

/** One problem at one place, before it is worded into the message. */
export interface ConfigProblem {
  readonly path: readonly PropertyKey[];
  /** What is wrong, without the field: `must be a positive integer`. Unused for unknown keys. */
  readonly problem: string;
  /** Include the offending value (`got ...`); false where the value is absent or is the key. */
  readonly showValue: boolean;
  /** What to do, appended after the origin, e.g. `set it, or set "enabled": false`. */
  readonly advice?: string;
  /** The key at the end of `path` is not accepted there; `suggestion` is the key it probably meant. */
  readonly unknownKey?: { readonly suggestion: string | undefined; readonly known: readonly string[] };
}

/** `channels.azure-blob.url`; keys that are not plain words are quoted (`channels["a.b"]`). */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

/** The value at `path` in `root`, or undefined when some step is missing. */
export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** A short rendering of a bad value for a message: JSON where possible, truncated. */
export function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  if (typeof value === 'number' && !Number.isFinite(value)) text = String(value);
  else if (typeof value === 'bigint') text = `${value}n`;
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The keys a schema accepts at `path` (through optional wrappers and records), for "did you mean". */
function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current: z.ZodType | undefined = schema;
  for (const key of path) {
    current = unwrap(current);
    if (current instanceof z.ZodObject) current = (current.shape as Record<string, z.ZodType>)[String(key)];
    else if (current instanceof z.ZodRecord) current = current.valueType as z.ZodType;
    else return [];
    if (current === undefined) return [];
  }
  current = unwrap(current);
  return current instanceof z.ZodObject ? Object.keys(current.shape) : [];
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  while (current instanceof z.ZodOptional) current = current.unwrap() as z.ZodType;
  return current;
}

/** Edit distance, for suggesting the key a typo meant. Inputs are short keys. */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** The known key closest to `key` when it is close enough to be a typo of it. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const distance = editDistance(key, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/** A problem for a key that is not accepted where it is, with a suggestion from `known`. */
export function unknownKeyProblem(path: readonly PropertyKey[], known: readonly string[], advice?: string): ConfigProblem {
  const key = String(path[path.length - 1]);
  return { path, problem: 'is not a known key', showValue: false, advice, unknownKey: { suggestion: closestKey(key, known), known } };
}

/** Reads zod issues as problems, one per bad field (one per key for unknown keys). */
export function problemsFromZod(error: z.ZodError, schema: z.ZodType): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(schema, issue.path);
      for (const key of issue.keys) problems.push(unknownKeyProblem([...issue.path, key], known));
    } else if (issue.code === 'invalid_key') {
      // A record key that fails its own check (a channel name): the key is the bad value.
      const inner = issue.issues[0]?.message ?? issue.message;
      problems.push({ path: issue.path, problem: `is not a valid name here: it ${inner}`, showValue: false });
    } else {
      problems.push({ path: issue.path, problem: issue.message, showValue: true });
    }
  }
  return problems;
}

/**
 * The `config` error for a list of problems in one document. The first problem is the headline and
 * gives `field`; all of them are listed when there are several.
 */
export function configError(problems: readonly ConfigProblem[], document: unknown, origin: ConfigOrigin, cause?: unknown): FmiError {
  // A misspelt key first: it usually explains why a setting "had no effect", and it is the
  // cheapest to fix. Otherwise the order found, which follows the schema (a stable sort).
  const ordered = [...problems].sort((a, b) => Number(b.unknownKey !== undefined) - Number(a.unknownKey !== undefined));
  const lines = ordered.map((p) => describeProblem(p, document, origin));
  const first = ordered[0];
  const more =
    lines.length > 1
      ? `\n${lines.length - 1} more problem${lines.length > 2 ? 's' : ''}:\n${lines
          .slice(1)
          .map((l) => `  - ${l}`)
          .join('\n')}`
      : '';
  return new FmiError('config', `config: ${lines[0]}${more}`, { field: first.path.length > 0 ? formatPath(first.path) : undefined, cause });
}

function describeProblem(p: ConfigProblem, document: unknown, origin: ConfigOrigin): string {
  const field = p.path.length === 0 ? 'the configuration' : formatPath(p.path);
  const where = origin.describe(p.path);
  if (p.unknownKey !== undefined) {
    const { suggestion, known } = p.unknownKey;
    const fix = suggestion !== undefined ? `did you mean "${suggestion}"? If not, ${origin.removeHint(p.path)}` : origin.removeHint(p.path);
    const list = p.advice === undefined && suggestion === undefined && known.length > 0 ? ` (known keys here: ${known.map((k) => `"${k}"`).join(', ')})` : '';
    return `${field} is not a known key (${where}) — ${p.advice ?? fix}${list}`;
  }
  const context = p.showValue ? `got ${showValue(valueAt(document, p.path))} ${where}` : where;
  return `${field} ${p.problem} (${context})${p.advice === undefined ? '' : ` — ${p.advice}`}`;
}

/** Validates `value` against `schema`, throwing the `config` error that names every bad field. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, origin: ConfigOrigin): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw configError(problemsFromZod(result.error, schema), value, origin, result.error);
}

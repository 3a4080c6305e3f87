import { FmiError } from '../errors.js';

/**
 * What the launching platform POSTs to a rank's function, as JSON. It carries the FMI environment
 * contract (DESIGN.md) in the body, because an HTTP-triggered function has no per-invocation
 * environment variables.
 */
export interface FmiInvocation {
  readonly rank: number;
  readonly size: number;
  readonly job: string;
  /** The job secret for the rendezvous server; never logged. */
  readonly secret?: string;
  /** `FMI_*` variables for `connect()` (hint, channel, bucket, timeout, ...); other names are refused. */
  readonly env?: Readonly<Record<string, string>>;
  readonly args?: readonly string[];
  /** The user's own JSON input for this rank. */
  readonly input?: unknown;
}

/** What the function answers, as JSON: HTTP 200 with `ok: true`, or an error status with `ok: false`. */
export interface FmiInvocationResult {
  readonly ok: boolean;
  readonly rank: number;
  readonly result?: unknown;
  readonly error?: { readonly message: string; readonly kind?: string };
}

const KEYS = ['rank', 'size', 'job', 'secret', 'env', 'args', 'input'];
const JOB = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/**
 * Only FMI's own variables may come with a request. Anything else (STORAGE_EMULATOR_HOST, AZURE_STORAGE_CONNECTION_STRING,
 * credentials, ...) would let whoever can invoke the function redirect its data
 * or credentials; those belong in the function's deployed configuration.
 */
const ENV_NAME = /^FMI_[A-Z0-9_]+$/;

function bad(field: string, message: string): FmiError {
  return new FmiError('invalid-argument', `[fmi-invocation] ${field}: ${message}`, { field });
}

/** Checks a request body strictly and returns it typed; throws `invalid-argument` naming the field. */
export function parseInvocation(body: unknown): FmiInvocation {
  let value = body;
  if (typeof value === 'string' || value instanceof Uint8Array) {
    const text = typeof value === 'string' ? value : Buffer.from(value).toString('utf8');
    try {
      value = JSON.parse(text);
    } catch (cause) {
      throw new FmiError('invalid-argument', '[fmi-invocation] body: not JSON — POST an FmiInvocation with content-type application/json', {
        field: 'body',
        cause,
      });
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('body', 'expected a JSON object { rank, size, job, ... }');
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) if (!KEYS.includes(key)) throw bad(key, `unknown field — an invocation has ${KEYS.join(', ')}`);
  const { rank, size, job, secret, env, args } = record;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 1) throw bad('size', `expected a positive integer, got ${JSON.stringify(size)}`);
  if (typeof rank !== 'number' || !Number.isInteger(rank) || rank < 0 || rank >= size)
    throw bad('rank', `expected an integer in 0..${size - 1}, got ${JSON.stringify(rank)}`);
  if (typeof job !== 'string' || !JOB.test(job)) throw bad('job', 'expected letters, digits, ".", "_" and "-" (at most 128)');
  if (secret !== undefined && typeof secret !== 'string') throw bad('secret', 'expected a string');
  if (env !== undefined) {
    if (typeof env !== 'object' || env === null || Array.isArray(env)) throw bad('env', 'expected an object of FMI_* variables');
    for (const [name, v] of Object.entries(env)) {
      if (!ENV_NAME.test(name)) throw bad(`env.${name}`, 'only FMI_* variables may be passed with an invocation; set others in the function configuration');
      if (typeof v !== 'string') throw bad(`env.${name}`, 'expected a string');
    }
  }
  if (args !== undefined && (!Array.isArray(args) || args.some((a) => typeof a !== 'string'))) throw bad('args', 'expected an array of strings');
  return record as unknown as FmiInvocation;
}

/** An error as the JSON answer carries it: message and kind, never a stack. */
export function errorOutcome(error: unknown): { message: string; kind?: string } {
  if (FmiError.is(error)) return { message: error.message, kind: error.kind };
  if (error instanceof Error) return { message: error.message };
  return { message: String(error) };
}

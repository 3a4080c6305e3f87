import { type Communicator, type ConnectOptions, type ContainerModule, connect, type FmiConfigInput, FmiError } from '@fmi/core';
import type { Context } from 'aws-lambda';
import { aws } from '../aws-module.js';
import type { FmiInvocation, FmiPayload, FmiRankResult } from './payload.js';

/** The user's function: gets the rank's communicator, the payload's `input` and the Lambda context. */
export type FmiLambdaFunction<I, R> = (comm: Communicator, input: I, context: Context) => Promise<R> | R;

export interface FmiHandlerOptions {
  /** Provider modules, or a function of the merged environment that builds them; default `[aws()]`. */
  readonly modules?: readonly ContainerModule[] | ((env: Readonly<Record<string, string | undefined>>) => readonly ContainerModule[]);
  /** `fmi.json` path or content (default: FMI_CONFIG). */
  readonly config?: string | FmiConfigInput;
  /** Time kept back from the Lambda's remaining time, so the handler answers before Lambda kills it. Default 10% of it, 200-2,000 ms. */
  readonly safetyMarginMs?: number;
  /** Time kept for `close()` (deleting the job's objects). Default 10% of the remaining time, 200-5,000 ms. */
  readonly closeReserveMs?: number;
  /** Resolves a `secretRef` other than `env:NAME` (an SSM parameter, a Secrets Manager ARN). */
  readonly resolveSecret?: (ref: string) => Promise<string>;
  /** Further `connect()` options (hint, channel, logger, ...); rank, size, job and modules come from the payload. */
  readonly connect?: Partial<Omit<ConnectOptions, 'rank' | 'size' | 'job' | 'modules' | 'secret'>>;
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/**
 * Wraps a function into a Lambda handler for one FMI rank. Per invocation it reads rank, size, job
 * and the secret reference from the payload (`{ fmi: {...}, input }`), layers the payload's FMI_*
 * settings over the function's environment, connects, runs the function, and always closes the
 * communicator (deleting the rank's objects). Deadlines come from the Lambda: every operation's
 * default deadline is at most the remaining time minus a safety margin and the close reserve, so
 * a rank whose peers never come fails with `timeout` and still cleans up before Lambda kills it.
 *
 * It never throws: it returns `{ ok: true, rank, result }` or `{ ok: false, rank, error: { kind,
 * message } }`, which the `aws-lambda` platform gathers per rank.
 */
export function fmiHandler<I = unknown, R = unknown>(
  fn: FmiLambdaFunction<I, R>,
  options: FmiHandlerOptions = {},
): (event: FmiPayload<I>, context: Context) => Promise<FmiRankResult<R>> {
  return async (event, context) => {
    const started = Date.now();
    let rank = -1;
    let comm: Communicator | undefined;
    try {
      const fmi = checkPayload(event);
      rank = fmi.rank;
      const remaining = context.getRemainingTimeInMillis();
      const margin = options.safetyMarginMs ?? clamp(remaining * 0.1, 200, 2_000);
      const closeReserve = options.closeReserveMs ?? clamp(remaining * 0.1, 200, 5_000);
      const budget = Math.floor(remaining - margin - closeReserve);
      if (budget < 100) {
        throw new FmiError('timeout', `[aws-lambda] only ${remaining} ms left at the start of rank ${rank} — raise the function's timeout`);
      }
      const endAt = started + budget;
      const env: Record<string, string | undefined> = { ...process.env, ...fmi.env };
      const explicit = fmi.timeoutMs ?? (env.FMI_TIMEOUT_MS ? Number(env.FMI_TIMEOUT_MS) : undefined);
      const timeoutMs = Math.max(1, Math.min(explicit && Number.isFinite(explicit) && explicit > 0 ? explicit : budget, budget));
      const secret = fmi.secret ?? (fmi.secretRef ? await resolveSecretRef(fmi.secretRef, env, options.resolveSecret) : undefined);
      const modules = typeof options.modules === 'function' ? options.modules(env) : (options.modules ?? [aws()]);
      const memory = Number(context.memoryLimitInMB);

      const connected = connect({
        ...(Number.isInteger(memory) && memory > 0 ? { memoryMiB: memory } : {}),
        ...options.connect,
        rank: fmi.rank,
        size: fmi.size,
        job: fmi.job,
        ...(secret !== undefined ? { secret } : {}),
        modules,
        env,
        timeoutMs,
        ...(options.config !== undefined ? { config: options.config } : {}),
      });
      comm = await beforeDeadline(connected, endAt, `[aws-lambda] rank ${rank}: connect`, (c) => c.close({ timeoutMs: closeReserve }));
      const result = await beforeDeadline(
        Promise.resolve().then(() => fn(comm as Communicator, event.input as I, context)),
        endAt,
        `[aws-lambda] rank ${rank}: the handler function`,
      );
      const closeError = await closeQuietly(comm, closeReserve);
      comm = undefined;
      return closeError ? { ok: true, rank, result, closeError } : { ok: true, rank, result };
    } catch (error) {
      if (comm) await closeQuietly(comm, options.closeReserveMs ?? clamp(context.getRemainingTimeInMillis() - 100, 100, 5_000));
      return { ok: false, rank, error: describeError(error) };
    }
  };
}

function checkPayload(event: unknown): FmiInvocation {
  const fmi = (event as { fmi?: unknown } | null | undefined)?.fmi as Record<string, unknown> | undefined;
  const bad = (field: string, what: string) =>
    new FmiError(
      'config',
      `[aws-lambda] payload field fmi.${field} ${what} — invoke through the aws-lambda platform or send { fmi: { rank, size, job }, input }`,
      { field: `fmi.${field}` },
    );
  if (typeof fmi !== 'object' || fmi === null) throw bad('', 'is missing');
  if (!Number.isInteger(fmi.size) || (fmi.size as number) < 1) throw bad('size', 'must be a positive integer');
  if (!Number.isInteger(fmi.rank) || (fmi.rank as number) < 0 || (fmi.rank as number) >= (fmi.size as number))
    throw bad('rank', `must be an integer in 0..size-1`);
  if (typeof fmi.job !== 'string' || fmi.job === '') throw bad('job', 'must be a non-empty string');
  if (fmi.env !== undefined && (typeof fmi.env !== 'object' || fmi.env === null || Object.values(fmi.env).some((v) => typeof v !== 'string'))) {
    throw bad('env', 'must be an object of strings');
  }
  if (fmi.timeoutMs !== undefined && !(typeof fmi.timeoutMs === 'number' && fmi.timeoutMs > 0)) throw bad('timeoutMs', 'must be a positive number');
  return fmi as unknown as FmiInvocation;
}

async function resolveSecretRef(ref: string, env: Readonly<Record<string, string | undefined>>, resolve: FmiHandlerOptions['resolveSecret']): Promise<string> {
  if (ref.startsWith('env:')) {
    const value = env[ref.slice(4)];
    if (!value)
      throw new FmiError('config', `[aws-lambda] secretRef "${ref}": the function has no environment variable ${ref.slice(4)}`, { field: 'fmi.secretRef' });
    return value;
  }
  if (!resolve)
    throw new FmiError('config', `[aws-lambda] secretRef "${ref}" needs fmiHandler({ resolveSecret }) (only env:NAME is built in)`, { field: 'fmi.secretRef' });
  return resolve(ref);
}

/**
 * Waits for `promise` until `endAt`; past it, fails with `timeout` (the promise keeps running, but
 * the communicator is then closed, which ends its pending operations). `onLate` disposes of a value
 * that arrives after the deadline.
 */
function beforeDeadline<T>(promise: Promise<T>, endAt: number, what: string, onLate?: (value: T) => Promise<unknown>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let late = false;
    const timer = setTimeout(
      () => {
        late = true;
        reject(
          new FmiError(
            'timeout',
            `${what} did not finish before the Lambda deadline (remaining time minus the safety margin and the close reserve) — raise the function's timeout or check that every rank was started`,
          ),
        );
      },
      Math.max(0, endAt - Date.now()),
    );
    promise.then(
      (value) => {
        clearTimeout(timer);
        if (late) void onLate?.(value).catch(() => {});
        else resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        if (!late) reject(error);
      },
    );
  });
}

async function closeQuietly(comm: Communicator, timeoutMs: number): Promise<{ kind: string; message: string } | undefined> {
  try {
    await comm.close({ timeoutMs: Math.max(1, Math.floor(timeoutMs)) });
    return undefined;
  } catch (error) {
    return describeError(error);
  }
}

function describeError(error: unknown): { kind: string; message: string } {
  if (FmiError.is(error)) return { kind: error.kind, message: error.message };
  if (error instanceof Error) return { kind: 'error', message: `${error.name}: ${error.message}` };
  return { kind: 'error', message: String(error) };
}

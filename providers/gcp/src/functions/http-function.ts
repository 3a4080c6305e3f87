import {
  type Communicator,
  type ConnectOptions,
  type ContainerModule,
  connect,
  errorOutcome,
  type FmiInvocation,
  type FmiInvocationResult,
  parseInvocation,
} from '@fmi/core';
import { gcp } from '../gcp-module.js';

/**
 * The parts of an Express request and response that the adapter uses. The Functions Framework
 * passes Express objects; these structural types keep `@google-cloud/functions-framework` (and
 * Express) out of this package's type dependencies.
 */
export interface HttpFunctionRequest {
  readonly method?: string;
  /** Parsed JSON when the request says `content-type: application/json` (the Functions Framework does that), else raw. */
  readonly body?: unknown;
}
export interface HttpFunctionResponse {
  status(code: number): HttpFunctionResponse;
  json(body: unknown): unknown;
}

/** A rank's work: gets the world communicator and the invocation's `input`, returns a JSON-serialisable result. */
export type RankHandler<I = unknown, R = unknown> = (comm: Communicator, input: I, invocation: FmiInvocation) => Promise<R> | R;

export interface FmiHttpFunctionOptions {
  /**
   * Provider modules for `connect()`; default `[gcp()]` (the gcs channel from FMI_GCS_BUCKET in the
   * invocation's env or the function's environment). Add `selfHosted(...)` for the direct/relay channel.
   */
  readonly modules?: readonly ContainerModule[] | ((invocation: FmiInvocation) => readonly ContainerModule[]);
  /** Further `connect()` options (config, hint, timeoutMs, logger, ...). */
  readonly connect?: Omit<ConnectOptions, 'rank' | 'size' | 'job' | 'secret' | 'env' | 'modules'>;
}

/**
 * Turns a rank handler into an HTTP Cloud Function (Functions Framework signature `(req, res)`):
 *
 * ```ts
 * import * as functions from '@google-cloud/functions-framework';
 * functions.http('fmi-rank', fmiHttpFunction(async (comm, input) => comm.allreduce(...)));
 * ```
 *
 * The request body is an `FmiInvocation` (rank, size, job, secret, FMI_* env, input). The adapter
 * connects with the function's environment overlaid by the invocation's FMI_* variables, runs the
 * handler, always closes the communicator (which deletes the job's objects), and answers JSON:
 * `200 { ok: true, rank, result }`, `400 { ok: false, ... }` for a malformed invocation, or
 * `500 { ok: false, rank, error: { message, kind } }`. It never answers 429 or 503, the statuses
 * the launching platform retries, so a rank that ran is never started twice.
 */
export function fmiHttpFunction<I = unknown, R = unknown>(
  handler: RankHandler<I, R>,
  options: FmiHttpFunctionOptions = {},
): (req: HttpFunctionRequest, res: HttpFunctionResponse) => Promise<void> {
  return async (req, res) => {
    if (req.method !== undefined && req.method !== 'POST') {
      res.status(405).json({
        ok: false,
        rank: -1,
        error: { message: `[gcp-functions] ${req.method}: POST an FmiInvocation as JSON`, kind: 'invalid-argument' },
      } satisfies FmiInvocationResult);
      return;
    }
    let invocation: FmiInvocation;
    try {
      invocation = parseInvocation(req.body);
    } catch (error) {
      res.status(400).json({ ok: false, rank: -1, error: errorOutcome(error) } satisfies FmiInvocationResult);
      return;
    }
    const answer = await runRank(handler, invocation, options);
    res.status(answer.ok ? 200 : 500).json(answer);
  };
}

/** Connects, runs, closes; every failure becomes the rank's error (never an unhandled rejection in the function). */
export async function runRank<I, R>(handler: RankHandler<I, R>, invocation: FmiInvocation, options: FmiHttpFunctionOptions): Promise<FmiInvocationResult> {
  const { rank } = invocation;
  const modules = typeof options.modules === 'function' ? options.modules(invocation) : (options.modules ?? [gcp()]);
  let comm: Communicator;
  try {
    comm = await connect({
      ...options.connect,
      rank,
      size: invocation.size,
      job: invocation.job,
      ...(invocation.secret !== undefined ? { secret: invocation.secret } : {}),
      env: { ...process.env, ...invocation.env },
      modules,
    });
  } catch (error) {
    return { ok: false, rank, error: errorOutcome(error) };
  }
  let result: R;
  try {
    result = await handler(comm, invocation.input as I, invocation);
  } catch (error) {
    // Close anyway so this rank's objects go; the other ranks will see timeouts, not a hang.
    await comm.close({ timeoutMs: 5_000 }).catch(() => {});
    return { ok: false, rank, error: errorOutcome(error) };
  }
  try {
    await comm.close();
  } catch (error) {
    return { ok: false, rank, error: errorOutcome(error) };
  }
  try {
    // Fail here, not inside res.json(), when the result cannot travel as JSON (a BigInt, a cycle).
    JSON.stringify(result);
  } catch (error) {
    return {
      ok: false,
      rank,
      error: { message: `[gcp-functions] rank ${rank}: the handler's result is not JSON-serialisable: ${(error as Error).message}`, kind: 'invalid-argument' },
    };
  }
  return { ok: true, rank, result };
}

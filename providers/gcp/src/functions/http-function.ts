import { answerInvocation, type Communicator, type FmiInvocation, type RankConnectOptions } from '@fmi/core';
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

/**
 * Provider modules and further `connect()` options. Modules default to `[gcp()]` (the gcs channel
 * from FMI_GCS_BUCKET in the invocation's env or the function's environment); add `selfHosted(...)`
 * for the direct/relay channel.
 */
export type FmiHttpFunctionOptions = RankConnectOptions;

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
    const modules = options.modules ?? (() => [gcp()]);
    const answer = await answerInvocation('gcp-functions', { method: req.method, body: () => req.body }, { ...options, modules }, (comm, invocation) =>
      handler(comm, invocation.input as I, invocation),
    );
    res.status(answer.status).json(answer.body);
  };
}

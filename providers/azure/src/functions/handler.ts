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
import { azure } from '../azure-module.js';

/**
 * The parts of `@azure/functions` v4 objects the adapter uses. Structural, so this package has no
 * type dependency on `@azure/functions`; the real `HttpRequest` and `InvocationContext` fit them,
 * and the returned object is a valid `HttpResponseInit`.
 */
export interface AzureHttpRequest {
  readonly method: string;
  text(): Promise<string>;
}
export interface AzureInvocationContext {
  readonly invocationId: string;
  readonly functionName: string;
  error(...args: unknown[]): void;
}
/** An `HttpResponseInit` with a JSON body. */
export interface AzureHttpResponse {
  readonly status: number;
  readonly jsonBody: FmiInvocationResult;
}

export type AzureRankHandler<I, R, C extends AzureInvocationContext> = (comm: Communicator, input: I, context: C, invocation: FmiInvocation) => Promise<R> | R;

export interface FmiAzureHandlerOptions {
  /** Provider modules for `connect()`; default `[azure()]` (the azure-blob channel from FMI_AZURE_CONTAINER and AZURE_STORAGE_CONNECTION_STRING). */
  readonly modules?: readonly ContainerModule[] | ((invocation: FmiInvocation) => readonly ContainerModule[]);
  /** Further `connect()` options (config, hint, timeoutMs, logger, ...). */
  readonly connect?: Omit<ConnectOptions, 'rank' | 'size' | 'job' | 'secret' | 'env' | 'modules'>;
}

/**
 * Turns a rank handler into an HTTP handler for the Azure Functions v4 programming model:
 *
 * ```ts
 * import { app } from '@azure/functions';
 * app.http('fmi-rank', { methods: ['POST'], authLevel: 'function', handler: fmiAzureHandler(async (comm, input, context) => ...) });
 * ```
 *
 * The body is an `FmiInvocation`; the adapter connects with the app's environment overlaid by the
 * invocation's FMI_* variables, runs the handler, always closes the communicator, and returns an
 * `HttpResponseInit`: `200 { ok: true, rank, result }`, `400` for a malformed invocation, `500
 * { ok: false, rank, error }` otherwise — never 429/503, which the launching platform retries.
 */
export function fmiAzureHandler<I = unknown, R = unknown, C extends AzureInvocationContext = AzureInvocationContext>(
  handler: AzureRankHandler<I, R, C>,
  options: FmiAzureHandlerOptions = {},
): (request: AzureHttpRequest, context: C) => Promise<AzureHttpResponse> {
  return async (request, context) => {
    if (request.method !== 'POST') {
      return {
        status: 405,
        jsonBody: { ok: false, rank: -1, error: { message: `[azure-functions] ${request.method}: POST an FmiInvocation as JSON`, kind: 'invalid-argument' } },
      };
    }
    let invocation: FmiInvocation;
    try {
      invocation = parseInvocation(await request.text());
    } catch (error) {
      return { status: 400, jsonBody: { ok: false, rank: -1, error: errorOutcome(error) } };
    }
    const answer = await runRank(invocation, options, (comm) => handler(comm, invocation.input as I, context, invocation));
    if (!answer.ok) context.error(`[fmi] rank ${invocation.rank} of job ${invocation.job} failed: ${answer.error?.message ?? 'no message'}`);
    return { status: answer.ok ? 200 : 500, jsonBody: answer };
  };
}

/** Connects, runs, closes; every failure becomes the rank's error (never an unhandled rejection in the host). */
async function runRank<R>(
  invocation: FmiInvocation,
  options: FmiAzureHandlerOptions,
  run: (comm: Communicator) => Promise<R> | R,
): Promise<FmiInvocationResult> {
  const { rank } = invocation;
  const modules = typeof options.modules === 'function' ? options.modules(invocation) : (options.modules ?? [azure()]);
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
    result = await run(comm);
  } catch (error) {
    // Close anyway so this rank's blobs go; the other ranks see timeouts, not a hang.
    await comm.close({ timeoutMs: 5_000 }).catch(() => {});
    return { ok: false, rank, error: errorOutcome(error) };
  }
  try {
    await comm.close();
  } catch (error) {
    return { ok: false, rank, error: errorOutcome(error) };
  }
  try {
    JSON.stringify(result);
  } catch (error) {
    return {
      ok: false,
      rank,
      error: {
        message: `[azure-functions] rank ${rank}: the handler's result is not JSON-serialisable: ${(error as Error).message}`,
        kind: 'invalid-argument',
      },
    };
  }
  return { ok: true, rank, result };
}

import { answerInvocation, type Communicator, type FmiInvocation, type FmiInvocationResult, type RankConnectOptions } from '@fmi/core';
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

/** Provider modules and further `connect()` options; modules default to `[azure()]` (the azure-blob channel from FMI_AZURE_CONTAINER and AZURE_STORAGE_CONNECTION_STRING). */
export type FmiAzureHandlerOptions = RankConnectOptions;

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
    const modules = options.modules ?? (() => [azure()]);
    const answer = await answerInvocation(
      'azure-functions',
      { method: request.method, body: () => request.text() },
      { ...options, modules },
      (comm, invocation) => handler(comm, invocation.input as I, context, invocation),
    );
    const { invocation } = answer;
    if (invocation && !answer.body.ok)
      context.error(`[fmi] rank ${invocation.rank} of job ${invocation.job} failed: ${answer.body.error?.message ?? 'no message'}`);
    return { status: answer.status, jsonBody: answer.body };
  };
}

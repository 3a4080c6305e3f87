import type { LambdaClient } from '@aws-sdk/client-lambda';
import { Deadline, FmiError, type LaunchResult, type LaunchSpec, type PlatformProvider, type RankOutcome, sharedClient, sleep } from '@fmi/core';
import { isThrottle, sdkErrorName } from '../sdk-errors.js';
import { credentialsKey, loadSdk } from '../sdk-loader.js';
import {
  type AwsCredentialsOption,
  checkCredentials,
  checkEndpoint,
  checkInt,
  checkObject,
  checkString,
  configError,
  REGION_PATTERN,
} from '../settings-check.js';
import type { FmiPayload } from './payload.js';

export interface LambdaPlatformOptions {
  /** Function to invoke (name, ARN or partial ARN); `LaunchSpec.entry` wins when set. */
  readonly functionName?: string;
  /** Version or alias. */
  readonly qualifier?: string;
  readonly region?: string;
  /** Endpoint of a Lambda-compatible Invoke API, e.g. a local one for tests. */
  readonly endpoint?: string;
  /**
   * Invocations in flight at once. Every rank of a job must run at the same time (they wait for
   * each other), so this must be at least the job's size: a smaller value fails the launch at once
   * with `config` instead of deadlocking. Default: the job's size.
   */
  readonly concurrency?: number;
  /** How long one rank's invocation is retried while Lambda answers 429 (throttled), ms; default 20,000. */
  readonly throttleRetryMs?: number;
  /** Socket timeout of one invocation, ms; default 16 minutes (Lambda's limit is 15). */
  readonly invokeTimeoutMs?: number;
  /** Reference to the job secret the ranks resolve (`env:NAME` or what `fmiHandler`'s resolveSecret knows). */
  readonly secretRef?: string;
  /** The `input` of each rank's payload; default `{ args }` from the launch. */
  readonly input?: (rank: number, spec: LaunchSpec) => unknown;
  readonly credentials?: AwsCredentialsOption;
}

const KEYS = [
  'functionName',
  'qualifier',
  'region',
  'endpoint',
  'concurrency',
  'throttleRetryMs',
  'invokeTimeoutMs',
  'secretRef',
  'input',
  'credentials',
] as const;

export function checkLambdaOptions(input: unknown, path: string): LambdaPlatformOptions {
  if (input === undefined) return {};
  const r = checkObject('aws-lambda', input, path, KEYS);
  checkString('aws-lambda', r.functionName, `${path}.functionName`);
  checkString('aws-lambda', r.qualifier, `${path}.qualifier`);
  checkString('aws-lambda', r.region, `${path}.region`, REGION_PATTERN);
  checkEndpoint('aws-lambda', r.endpoint, `${path}.endpoint`);
  checkInt('aws-lambda', r.concurrency, `${path}.concurrency`, 1, 100_000);
  checkInt('aws-lambda', r.throttleRetryMs, `${path}.throttleRetryMs`, 0, 15 * 60_000, 'ms');
  checkInt('aws-lambda', r.invokeTimeoutMs, `${path}.invokeTimeoutMs`, 1_000, 60 * 60_000, 'ms');
  checkString('aws-lambda', r.secretRef, `${path}.secretRef`);
  if (r.input !== undefined && typeof r.input !== 'function') throw configError('aws-lambda', `${path}.input`, 'expected a function (rank, spec) => input');
  checkCredentials('aws-lambda', r.credentials, `${path}.credentials`);
  return r as LambdaPlatformOptions;
}

const clients = new Map<string, Promise<LambdaClient>>();
const lambdaSdk = () => loadSdk('aws-lambda', '@aws-sdk/client-lambda', () => import('@aws-sdk/client-lambda'));

function lambdaClient(
  region: string,
  endpoint: string | undefined,
  credentials: AwsCredentialsOption | undefined,
  sockets: number,
  timeoutMs: number,
): Promise<LambdaClient> {
  const key = JSON.stringify([region, endpoint ?? '', credentialsKey(credentials), sockets, timeoutMs]);
  return sharedClient(clients, key, async () => {
    const { LambdaClient } = await lambdaSdk();
    return new LambdaClient({
      region,
      ...(endpoint ? { endpoint } : {}),
      ...(credentials ? { credentials: typeof credentials === 'function' ? credentials : { ...credentials } } : {}),
      // One attempt: the SDK would resend an Invoke whose answer was lost, running a rank twice.
      // The platform resends only throttled invocations (429: refused, never started).
      maxAttempts: 1,
      // One socket per rank in flight (the default of 50 would hold ranks 51+ back until
      // others finish, and those wait for them); a RequestResponse invoke lasts as long as the rank.
      requestHandler: {
        httpAgent: { keepAlive: true, maxSockets: sockets },
        httpsAgent: { keepAlive: true, maxSockets: sockets },
        requestTimeout: timeoutMs,
        connectionTimeout: 10_000,
      },
    });
  });
}

/**
 * The `aws-lambda` platform: starts a job's N ranks by invoking one function N times
 * (RequestResponse), each with the payload `{ fmi: { rank, size, job, env, secretRef }, input }`
 * that `fmiHandler` reads, and gathers each rank's `{ ok, result | error }`.
 *
 * Concurrency. The ranks of a job talk to each other, so all N must run at once: a launch whose
 * concurrency bound is below N fails before invoking anything. The function's reserved concurrency
 * and the account's limit (1,000 by default) must also allow N; when Lambda answers 429, the rank is
 * invoked again with backoff for up to `throttleRetryMs` while the started ranks wait in their
 * first collective — keep `throttleRetryMs` below the job's operation timeout.
 * Only throttled invocations are resent: any other failure may have run the rank, and running a
 * rank twice would corrupt the job.
 */
export function lambdaPlatform(options: LambdaPlatformOptions = {}, shared: { region?: string; credentials?: AwsCredentialsOption } = {}): PlatformProvider {
  const checked = checkLambdaOptions(options, 'aws.lambda');
  return {
    name: 'aws-lambda',
    async launch(spec: LaunchSpec): Promise<LaunchResult> {
      const t0 = Date.now();
      const functionName = spec.entry || checked.functionName;
      if (!functionName)
        throw new FmiError('config', '[aws-lambda] no function to invoke — pass --function NAME or aws({ lambda: { functionName } })', {
          field: 'aws.lambda.functionName',
        });
      if (!Number.isInteger(spec.size) || spec.size < 1)
        throw new FmiError('invalid-argument', `[aws-lambda] size must be a positive integer, got ${spec.size}`, { field: 'size' });
      const concurrency = checked.concurrency ?? spec.size;
      if (concurrency < spec.size) {
        throw new FmiError(
          'config',
          `[aws-lambda] a job of ${spec.size} ranks needs ${spec.size} invocations running at once (ranks wait for each other), but concurrency is ${concurrency} — raise aws.lambda.concurrency (and the function's reserved concurrency) to at least ${spec.size}`,
          { field: 'aws.lambda.concurrency' },
        );
      }
      const region = checked.region ?? shared.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
      const invokeTimeoutMs = checked.invokeTimeoutMs ?? 16 * 60_000;
      const client = await lambdaClient(region, checked.endpoint, checked.credentials ?? shared.credentials, concurrency, invokeTimeoutMs);
      const { InvokeCommand } = await lambdaSdk();
      const throttleRetryMs = checked.throttleRetryMs ?? 20_000;
      const { FMI_SECRET, ...env } = spec.env;

      const invokeRank = async (rank: number): Promise<RankOutcome> => {
        const started = Date.now();
        const payload: FmiPayload = {
          fmi: {
            rank,
            size: spec.size,
            job: spec.job,
            env: { ...env, FMI_RANK: String(rank), FMI_SIZE: String(spec.size), FMI_JOB: spec.job },
            ...(checked.secretRef ? { secretRef: checked.secretRef } : FMI_SECRET ? { secret: FMI_SECRET } : {}),
          },
          input: checked.input ? checked.input(rank, spec) : { args: [...spec.args] },
        };
        const body = new TextEncoder().encode(JSON.stringify(payload));
        const retryUntil = new Deadline(throttleRetryMs, `[aws-lambda] rank ${rank}: invocation throttled`, spec.signal);
        let delay = 100;
        let throttles = 0;
        try {
          for (;;) {
            try {
              spec.onRankEvent?.(rank, 'started');
              const out = await client.send(
                new InvokeCommand({
                  FunctionName: functionName,
                  ...(checked.qualifier ? { Qualifier: checked.qualifier } : {}),
                  InvocationType: 'RequestResponse',
                  LogType: 'Tail',
                  Payload: body,
                }),
                spec.signal ? { abortSignal: spec.signal } : {},
              );
              if (out.LogResult && spec.onOutput) {
                for (const line of Buffer.from(out.LogResult, 'base64').toString('utf8').split('\n')) if (line) spec.onOutput(rank, 'stdout', line);
              }
              return outcome(rank, out.FunctionError, out.Payload, Date.now() - started);
            } catch (error) {
              if (isThrottle(error) && !retryUntil.expired) {
                throttles++;
                await sleep(delay / 2 + Math.random() * (delay / 2), retryUntil);
                delay = Math.min(2_000, delay * 2);
                continue;
              }
              throw error;
            }
          }
        } catch (error) {
          return failed(rank, error, throttles, Date.now() - started);
        } finally {
          retryUntil.dispose();
        }
      };

      const ranks = await Promise.all(
        Array.from({ length: spec.size }, async (_, rank) => {
          const o = await invokeRank(rank);
          spec.onRankEvent?.(rank, 'exited', o);
          return o;
        }),
      );
      const firstFailure = ranks.find((r) => !r.ok);
      return { ok: !firstFailure, ranks, ...(firstFailure ? { firstFailure } : {}), wallMs: Date.now() - t0 };
    },
  };
}

function outcome(rank: number, functionError: string | undefined, payload: Uint8Array | undefined, durationMs: number): RankOutcome {
  const text = payload ? Buffer.from(payload).toString('utf8') : '';
  let value: unknown;
  try {
    value = text ? JSON.parse(text) : undefined;
  } catch {
    value = text;
  }
  if (functionError) {
    // The function threw or Lambda stopped it (timeout, out of memory): { errorType, errorMessage }.
    const v = value as { errorType?: string; errorMessage?: string } | undefined;
    return {
      rank,
      ok: false,
      error: { kind: 'function-error', message: `[aws-lambda] rank ${rank}: ${v?.errorType ?? functionError}: ${v?.errorMessage ?? text}` },
      durationMs,
    };
  }
  const r = value as { ok?: unknown; result?: unknown; error?: { kind?: string; message?: string } } | undefined;
  if (r && typeof r === 'object' && typeof r.ok === 'boolean') {
    return r.ok
      ? { rank, ok: true, result: r.result, durationMs }
      : { rank, ok: false, error: { kind: r.error?.kind ?? 'error', message: r.error?.message ?? 'the rank failed' }, durationMs };
  }
  // A function not wrapped in fmiHandler: its return value is the result.
  return { rank, ok: true, result: value, durationMs };
}

function failed(rank: number, error: unknown, throttles: number, durationMs: number): RankOutcome {
  if (FmiError.is(error) && throttles > 0) {
    return {
      rank,
      ok: false,
      error: {
        kind: 'timeout',
        message: `[aws-lambda] rank ${rank}: still throttled (HTTP 429) after ${throttles} retries — raise the function's reserved concurrency or the account limit, or aws.lambda.throttleRetryMs`,
      },
      durationMs,
    };
  }
  if (FmiError.is(error)) return { rank, ok: false, error: { kind: error.kind, message: error.message }, durationMs };
  const name = sdkErrorName(error);
  const kind = name === 'ResourceNotFoundException' ? 'config' : name === 'AccessDeniedException' ? 'auth' : 'platform';
  return {
    rank,
    ok: false,
    error: { kind, message: `[aws-lambda] rank ${rank}: invoke failed: ${name || 'Error'}: ${(error as Error)?.message ?? String(error)}` },
    durationMs,
  };
}

import { FmiError } from '../errors.js';
import type { LaunchResult, LaunchSpec, RankOutcome } from '../tokens.js';
import { Deadline, sleep } from '../util/deadline.js';
import type { FmiInvocation, FmiInvocationResult } from './invocation.js';

/** Headers of every invocation request, or a function that makes them (e.g. a fresh identity token). */
export type InvocationHeaders = Readonly<Record<string, string>> | (() => Readonly<Record<string, string>> | Promise<Readonly<Record<string, string>>>);

export interface HttpLaunchSettings {
  /** Platform name for messages, e.g. `gcp-functions` or `azure-functions`. */
  readonly platform: string;
  /** The options path of this platform's settings, for `config` errors (e.g. `gcp.functions`). */
  readonly optionsPath: string;
  /** URL of the function every rank is started by. */
  readonly url: string;
  /** Ranks (HTTP requests) in flight at once. A job larger than this fails before anything starts. */
  readonly maxConcurrency: number;
  /** Attempts per rank when the platform answers 429/503 or refuses the connection (default 5). */
  readonly maxAttempts: number;
  /** Deadline of one rank, all attempts included, ms. */
  readonly timeoutMs: number;
  readonly headers?: InvocationHeaders;
  /** The JSON `input` each rank's handler receives. */
  readonly input?: (rank: number) => unknown;
}

/** First pause after a 429/503; doubles up to RETRY_MAX_MS, unless the answer says Retry-After. */
const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 8_000;
/** Bytes of a non-JSON error answer kept in the rank's error message. */
const SNIPPET = 300;

/**
 * Starts every rank of a job by POSTing an `FmiInvocation` to an HTTP-triggered function and
 * collects the JSON answers. All ranks must run at the same time (a collective waits for every
 * rank), so a job larger than `maxConcurrency` fails at once with `config` rather than deadlocking
 * half-started. Throttling answers (429, 503) and refused connections — the request never reached
 * a handler — are retried with backoff; anything else is final, because retrying a rank that may
 * have started would put two copies of it in the job.
 */
export async function launchOverHttp(spec: LaunchSpec, settings: HttpLaunchSettings): Promise<LaunchResult> {
  checkSpec(spec, settings);
  const started = Date.now();
  const outcomes: RankOutcome[] = new Array(spec.size);
  const failures: Array<{ at: number; outcome: RankOutcome }> = [];
  let next = 0;
  const worker = async () => {
    while (next < spec.size) {
      const rank = next++;
      spec.onRankEvent?.(rank, 'started');
      const outcome = await invokeRank(spec, settings, rank);
      outcomes[rank] = outcome;
      if (!outcome.ok) failures.push({ at: Date.now(), outcome });
      spec.onRankEvent?.(rank, 'exited', outcome);
    }
  };
  await Promise.all(Array.from({ length: Math.min(settings.maxConcurrency, spec.size) }, worker));
  const firstFailure = failures.sort((a, b) => a.at - b.at)[0]?.outcome;
  return { ok: failures.length === 0, ranks: outcomes, ...(firstFailure ? { firstFailure } : {}), wallMs: Date.now() - started };
}

function checkSpec(spec: LaunchSpec, settings: HttpLaunchSettings): void {
  if (!Number.isInteger(spec.size) || spec.size < 1) {
    throw new FmiError('invalid-argument', `[${settings.platform}] size: expected a positive integer, got ${String(spec.size)}`, { field: 'size' });
  }
  if (spec.size > settings.maxConcurrency) {
    throw new FmiError(
      'config',
      `[${settings.platform}] ${settings.optionsPath}.maxConcurrency: a job of ${spec.size} ranks needs ${spec.size} invocations running at once, but maxConcurrency is ${settings.maxConcurrency} — raise it (and the function's max instances) or launch fewer ranks`,
      { field: `${settings.optionsPath}.maxConcurrency` },
    );
  }
}

async function invokeRank(spec: LaunchSpec, settings: HttpLaunchSettings, rank: number): Promise<RankOutcome> {
  const started = Date.now();
  const deadline = new Deadline(settings.timeoutMs, `[${settings.platform}] rank ${rank} of job ${spec.job}`, spec.signal);
  const fail = (message: string, kind?: string): RankOutcome => ({
    rank,
    ok: false,
    error: { message, ...(kind ? { kind } : {}) },
    durationMs: Date.now() - started,
  });
  try {
    const { FMI_SECRET: secret, ...env } = spec.env;
    const invocation: FmiInvocation = {
      rank,
      size: spec.size,
      job: spec.job,
      ...(secret !== undefined ? { secret } : {}),
      env,
      args: [...spec.args],
      ...(settings.input ? { input: settings.input(rank) } : {}),
    };
    const body = JSON.stringify(invocation);
    let delay = RETRY_FIRST_MS;
    for (let attempt = 1; ; attempt++) {
      const headers = typeof settings.headers === 'function' ? await settings.headers() : (settings.headers ?? {});
      let response: Response;
      try {
        response = await fetch(settings.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body,
          signal: deadline.signal,
        });
      } catch (error) {
        if (deadline.signal.aborted) return fromDeadline(deadline, rank, started, settings);
        if (!neverDelivered(error) || attempt >= settings.maxAttempts) {
          return fail(`[${settings.platform}] rank ${rank}: POST ${settings.url} failed: ${causeText(error)}`, 'channel');
        }
        await sleep(jittered(delay), deadline);
        delay = Math.min(RETRY_MAX_MS, delay * 2);
        continue;
      }
      const text = await response.text();
      if ((response.status === 429 || response.status === 503) && attempt < settings.maxAttempts) {
        // The platform refused before any handler ran (no free instance, scaling): safe to ask again.
        await sleep(retryAfterMs(response) ?? jittered(delay), deadline);
        delay = Math.min(RETRY_MAX_MS, delay * 2);
        continue;
      }
      const answer = parseAnswer(text);
      if (answer && answer.rank === rank) {
        return answer.ok
          ? { rank, ok: true, result: answer.result, durationMs: Date.now() - started }
          : { rank, ok: false, error: answer.error ?? { message: `rank ${rank} failed without a message` }, durationMs: Date.now() - started };
      }
      return fail(
        `[${settings.platform}] rank ${rank}: the function answered ${response.status} ${response.statusText} without an FMI result: ${text.slice(0, SNIPPET)}`,
        'protocol',
      );
    }
  } catch (error) {
    if (deadline.signal.aborted || FmiError.isKind(error, 'timeout') || FmiError.isKind(error, 'aborted'))
      return fromDeadline(deadline, rank, started, settings);
    return fail(`[${settings.platform}] rank ${rank}: ${causeText(error)}`);
  } finally {
    deadline.dispose();
  }
}

function fromDeadline(deadline: Deadline, rank: number, started: number, settings: HttpLaunchSettings): RankOutcome {
  let reason: unknown;
  try {
    deadline.throwIfExpired();
  } catch (error) {
    reason = error;
  }
  const kind = FmiError.is(reason) ? reason.kind : 'timeout';
  const message =
    kind === 'aborted'
      ? `[${settings.platform}] rank ${rank}: the launch was aborted`
      : `[${settings.platform}] rank ${rank}: no answer within ${settings.timeoutMs} ms — raise the platform's timeoutMs or the function's timeout`;
  return { rank, ok: false, error: { message, kind }, durationMs: Date.now() - started };
}

function parseAnswer(text: string): FmiInvocationResult | undefined {
  try {
    const value = JSON.parse(text) as FmiInvocationResult;
    return typeof value === 'object' && value !== null && typeof value.ok === 'boolean' && typeof value.rank === 'number' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A connection that was refused or never resolved: no handler can have run. */
function neverDelivered(error: unknown): boolean {
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause;
  return cause?.code === 'ECONNREFUSED';
}

function causeText(error: unknown): string {
  const cause = (error as { cause?: unknown } | null)?.cause;
  const base = error instanceof Error ? error.message : String(error);
  return cause instanceof Error ? `${base} (${(cause as { code?: string }).code ?? ''}${(cause as { code?: string }).code ? ': ' : ''}${cause.message})` : base;
}

function jittered(ms: number): number {
  return ms / 2 + Math.random() * (ms / 2);
}

/** Retry-After in seconds (the only form functions platforms send), capped at the retry ceiling. */
function retryAfterMs(response: Response): number | undefined {
  const header = response.headers.get('retry-after');
  if (header === null) return undefined;
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds * 1000, RETRY_MAX_MS) : undefined;
}

import { type Channel, type Communicator, connect } from '@fmi/core';
import type { ConformanceTarget } from './target.js';

type ConnectOptions = Parameters<typeof connect>[0];

/** One job's ranks, all in this process. */
export interface World {
  readonly job: string;
  readonly size: number;
  /** Endpoint i is rank i's channel (opened by `connect`). */
  readonly endpoints: readonly Channel[];
  /** Communicator i is rank i's world communicator. */
  readonly comms: readonly Communicator[];
}

export interface WithWorldOptions {
  /** Job id; default a fresh one from the target's name. */
  readonly job?: string;
  /** Default deadline of every operation (passed to `connect`); default the target's or 10,000 ms. */
  readonly timeoutMs?: number;
  /** Extra `connect()` options (hint, config, ...); `rank`, `size`, `job` and `channels` are set by withWorld. */
  readonly connect?: Partial<ConnectOptions>;
  /** After every rank's close(), fail when `target.leftovers(job)` is not empty; default true. */
  readonly checkLeftovers?: boolean;
  /** Deadline of each rank's close(); default `timeoutMs`. */
  readonly closeTimeoutMs?: number;
  /** `ignore` when ranks are expected to fail to close (a killed rank); default `throw`. */
  readonly closeErrors?: 'throw' | 'ignore';
}

let jobCounter = 0;

/** A job id unique to this process and run (letters, digits, `-`; at most 128 characters). */
export function freshJob(prefix: string): string {
  const clean = prefix.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 60) || 'job';
  jobCounter += 1;
  return `c${clean}-${process.pid.toString(36)}-${Date.now().toString(36)}-${jobCounter}`;
}

/** The error withWorld throws when ranks fail: each rank's error, in rank order, with the causes attached. */
export class WorldError extends Error {
  readonly errors: ReadonlyArray<{ rank: number; error: unknown }>;
  constructor(what: string, job: string, errors: ReadonlyArray<{ rank: number; error: unknown }>) {
    const lines = errors.map(({ rank, error }) => `  rank ${rank}: ${describeError(error)}`);
    super(`[conformance] ${what} failed in job ${job} on ${errors.length} rank(s):\n${lines.join('\n')}`, { cause: errors[0]?.error });
    this.name = 'WorldError';
    this.errors = errors;
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const kind = (error as { kind?: unknown }).kind;
    return `${error.name}${kind ? ` (${String(kind)})` : ''}: ${error.message}`;
  }
  return String(error);
}

/**
 * Runs `fn` on every rank of a fresh world of `size` ranks and returns the ranks' results in rank
 * order. Creates the target's endpoints, connects `size` communicators concurrently with
 * `connect({ rank, size, job, channels: [endpoint] })`, runs `fn(comm, world)` on every rank
 * concurrently, then closes every communicator (close is collective). Fails with a `WorldError`
 * naming every rank that failed; when `fn` failed somewhere, close errors are not reported.
 *
 * Keep assertions out of `fn` where possible: a rank that throws stops calling collectives and
 * makes the others wait for the operation deadline. Return what each rank saw and check it after.
 */
export async function withWorld<R>(
  target: ConformanceTarget,
  size: number,
  fn: (comm: Communicator, world: World) => Promise<R> | R,
  options: WithWorldOptions = {},
): Promise<R[]> {
  const job = options.job ?? freshJob(target.name);
  const timeoutMs = options.timeoutMs ?? target.timeoutMs ?? 10_000;
  const endpoints = await target.createEndpoints(size, job);
  if (endpoints.length !== size) throw new Error(`[conformance] ${target.name}: createEndpoints(${size}) returned ${endpoints.length} endpoints`);

  const connected = await Promise.allSettled(
    endpoints.map((endpoint, rank) => connect({ env: {}, ...options.connect, rank, size, job, channels: [endpoint], timeoutMs } as ConnectOptions)),
  );
  const connectErrors = failures(connected);
  if (connectErrors.length > 0) {
    await Promise.allSettled(connected.map((c) => (c.status === 'fulfilled' ? c.value.close({ timeoutMs }) : undefined)));
    throw new WorldError('connect()', job, connectErrors);
  }
  const comms = connected.map((c) => (c as PromiseFulfilledResult<Communicator>).value);
  const world: World = { job, size, endpoints, comms };

  const ran = await Promise.allSettled(comms.map(async (comm) => fn(comm, world)));
  const runErrors = failures(ran);
  const closeTimeoutMs = options.closeTimeoutMs ?? timeoutMs;
  const closed = await Promise.allSettled(comms.map((comm) => comm.close({ timeoutMs: closeTimeoutMs })));
  if (runErrors.length > 0) throw new WorldError('the test body', job, runErrors);
  const closeErrors = failures(closed);
  if (closeErrors.length > 0 && options.closeErrors !== 'ignore') throw new WorldError('close()', job, closeErrors);

  if (options.checkLeftovers !== false && target.leftovers) {
    const left = await target.leftovers(job);
    if (left.length > 0) {
      throw new Error(
        `[conformance] ${target.name}: ${left.length} object(s) left under job ${job} after every rank's close(): ${left.slice(0, 10).join(', ')}${left.length > 10 ? ', ...' : ''}`,
      );
    }
  }
  return ran.map((r) => (r as PromiseFulfilledResult<R>).value);
}

function failures(results: ReadonlyArray<PromiseSettledResult<unknown>>): Array<{ rank: number; error: unknown }> {
  const out: Array<{ rank: number; error: unknown }> = [];
  results.forEach((r, rank) => {
    if (r.status === 'rejected') out.push({ rank, error: r.reason });
  });
  return out;
}

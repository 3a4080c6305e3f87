import type { ContainerModule } from 'inversify';
import type { Communicator } from '../api.js';
import { type ConnectOptions, connect } from '../connect.js';
import { errorOutcome, type FmiInvocation, type FmiInvocationResult, parseInvocation } from './invocation.js';

/** How a function's adapter connects a rank: provider modules and further `connect()` options. */
export interface RankConnectOptions {
  /** Provider modules for `connect()`, or a function choosing them per invocation. Each adapter documents its default. */
  readonly modules?: readonly ContainerModule[] | ((invocation: FmiInvocation) => readonly ContainerModule[]);
  /** Further `connect()` options (config, hint, timeoutMs, logger, ...). */
  readonly connect?: Omit<ConnectOptions, 'rank' | 'size' | 'job' | 'secret' | 'env' | 'modules'>;
}

/** An HTTP request as every functions framework can show it. */
export interface InvocationRequest {
  /** The HTTP method; `undefined` where the framework does not say (then it is taken for POST). */
  readonly method: string | undefined;
  /** The body: JSON text, bytes, or a value the framework already parsed. Read only for a POST. */
  body(): unknown;
}

/** What the adapter sends back: an HTTP status and the JSON body. */
export interface InvocationAnswer {
  readonly status: number;
  readonly body: FmiInvocationResult;
  /** The invocation, when the request held a valid one (so a rank ran). */
  readonly invocation?: FmiInvocation;
}

/**
 * Answers one invocation of a rank's function, whatever the framework: checks the method (405) and
 * the body (400, `invalid-argument` naming the field), connects with the function's environment
 * overlaid by the invocation's FMI_* variables, runs `run`, always closes the communicator (which
 * deletes the rank's objects), and answers `200 { ok: true, rank, result }` or `500 { ok: false,
 * rank, error: { message, kind } }`. It never answers 429 or 503, the statuses the launching
 * platform retries, so a rank that ran is never started twice.
 */
export async function answerInvocation<R>(
  platform: string,
  request: InvocationRequest,
  options: RankConnectOptions & { readonly modules: NonNullable<RankConnectOptions['modules']> },
  run: (comm: Communicator, invocation: FmiInvocation) => Promise<R> | R,
): Promise<InvocationAnswer> {
  if (request.method !== undefined && request.method !== 'POST') {
    const error = { message: `[${platform}] ${request.method}: POST an FmiInvocation as JSON`, kind: 'invalid-argument' };
    return { status: 405, body: { ok: false, rank: -1, error } };
  }
  let invocation: FmiInvocation;
  try {
    invocation = parseInvocation(await request.body());
  } catch (error) {
    return { status: 400, body: { ok: false, rank: -1, error: errorOutcome(error) } };
  }
  const body = await runRank(platform, invocation, options, run);
  return { status: body.ok ? 200 : 500, body, invocation };
}

/** Connects, runs, closes; every failure becomes the rank's error (never an unhandled rejection in the function's host). */
async function runRank<R>(
  platform: string,
  invocation: FmiInvocation,
  options: RankConnectOptions & { readonly modules: NonNullable<RankConnectOptions['modules']> },
  run: (comm: Communicator, invocation: FmiInvocation) => Promise<R> | R,
): Promise<FmiInvocationResult> {
  const { rank } = invocation;
  const modules = typeof options.modules === 'function' ? options.modules(invocation) : options.modules;
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
    result = await run(comm, invocation);
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
    // Fail here, not inside the framework's JSON encoding, when the result cannot travel as JSON (a BigInt, a cycle).
    JSON.stringify(result);
  } catch (error) {
    const message = `[${platform}] rank ${rank}: the handler's result is not JSON-serialisable: ${(error as Error).message}`;
    return { ok: false, rank, error: { message, kind: 'invalid-argument' } };
  }
  return { ok: true, rank, result };
}

import { type ChildProcess, spawn } from 'node:child_process';
import { FmiError, type LaunchResult, type LaunchSpec, type Logger, type PlatformProvider, type RankOutcome } from '@fmi/core';
import { formatAddress } from '../rendezvous/address.js';
import { deriveJobSecret, generateServerKey } from '../rendezvous/job-secret.js';
import { type RendezvousServer, startRendezvousServer } from '../rendezvous/server.js';
import { splitLines } from './line-splitter.js';
import { rankCommand } from './rank-command.js';
import { guessErrorFromStderr, parseErrorRecord, type RankError } from './rank-error.js';
import { RANK_ERROR_MARKER } from './rank-hooks.js';

export interface LocalPlatformOptions {
  /** Node executable of the ranks. Default: the one running the launcher (`process.execPath`). */
  readonly node?: string;
  /** Node flags placed before the script, e.g. `['--max-old-space-size=4096']`. */
  readonly nodeArgs?: readonly string[];
  /** Working directory of the ranks (and base of a relative script path). Default: `process.cwd()`. */
  readonly cwd?: string;
  /**
   * Bound of the whole job, ms: when it passes, every rank is stopped and the job fails with
   * `timeout`. Default 24 hours; `fmi run --timeout` passes a shorter one through `spec.signal`.
   */
  readonly timeoutMs?: number;
  /** Time between SIGTERM and SIGKILL when ranks are stopped, ms. Default 3000. */
  readonly killGraceMs?: number;
  /** Interface of the embedded rendezvous server. Default `127.0.0.1` (ranks are on this machine). */
  readonly rendezvousHost?: string;
  /** Where the platform's own messages go (not the ranks' output). Default: nowhere. */
  readonly logger?: Logger;
}

/**
 * What the local platform accepts beyond `LaunchSpec`. A caller may pass this to any platform;
 * others ignore the extra callback.
 */
export interface LocalLaunchSpec extends LaunchSpec {
  /**
   * Called once per rank when it authenticated with the job's embedded rendezvous server, i.e. its
   * `direct` channel is open. Ranks that never connect (a script that does not call `connect()`,
   * or an external server in `FMI_RENDEZVOUS`) are never reported.
   */
  readonly onRankConnected?: (rank: number) => void;
}

/** Largest world the local platform starts (the rendezvous server's own default bound). */
const MAX_LOCAL_RANKS = 4096;
const DEFAULT_TIMEOUT_MS = 24 * 3_600_000;
/** After SIGKILL, how long to wait for the exit to be reported before giving up on that rank. */
const AFTER_KILL_MS = 5_000;
/** After a rank exited, how long its output pipes may stay open (a grandchild holding them). */
const DRAIN_MS = 2_000;
/** Stderr lines kept per rank to find the error of a rank that died without an error record. */
const STDERR_TAIL = 80;
const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

interface Rank {
  readonly rank: number;
  readonly child: ChildProcess;
  readonly started: number;
  readonly stderrTail: string[];
  /** Output pipes fully read. */
  readonly drained: Promise<void>;
  record: RankError | undefined;
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** Why the launcher signalled this rank, if it did. */
  stopReason: RankError | undefined;
  outcome: RankOutcome | undefined;
  killTimer: NodeJS.Timeout | undefined;
  giveUpTimer: NodeJS.Timeout | undefined;
}

/**
 * The `local` platform: runs the N ranks of a job as child processes of this one.
 *
 * - An embedded rendezvous server on 127.0.0.1 (free port) with a fresh server key; each rank gets
 *   FMI_RANK, FMI_SIZE, FMI_JOB, FMI_SECRET (the job's secret derived from that key) and
 *   FMI_RENDEZVOUS, on top of the launcher's environment and `spec.env`. When `spec.env` names a
 *   server itself (FMI_RENDEZVOUS, with FMI_SECRET), none is started.
 * - `{rank}` in a value of `spec.env` is replaced by the rank, for per-rank paths such as
 *   `FMI_STATS_FILE=/tmp/x/rank-{rank}.json`.
 * - Output goes to `spec.onOutput` line by line, or to this process's stdout/stderr prefixed `[rank]`.
 * - The first rank that fails (non-zero exit or a signal it was not sent by the launcher) stops the
 *   job: every other rank gets SIGTERM, then SIGKILL after `killGraceMs`. The result names that rank,
 *   its exit code and its error (from the record the preloaded hooks write, else from its stderr).
 * - `spec.signal` (Ctrl-C in `fmi run`) and the job timeout stop every rank the same way.
 * - No orphans: every rank runs in its own process group, which the launcher signals by the PID it
 *   started; if the launcher itself dies without cleanup, each rank's IPC channel closes and the
 *   preloaded hook terminates it.
 */
export function localPlatform(options: LocalPlatformOptions = {}): PlatformProvider {
  return {
    name: 'local',
    launch: (spec: LaunchSpec) => launchLocal(spec as LocalLaunchSpec, options),
  };
}

async function launchLocal(spec: LocalLaunchSpec, o: LocalPlatformOptions): Promise<LaunchResult> {
  const t0 = Date.now();
  const logger = o.logger ?? silent;
  const killGraceMs = o.killGraceMs ?? 3_000;
  const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(spec.size) || spec.size < 1 || spec.size > MAX_LOCAL_RANKS) {
    throw new FmiError('invalid-argument', `size must be an integer 1..${MAX_LOCAL_RANKS}, got ${String(spec.size)}`, { field: 'size' });
  }
  if (typeof spec.job !== 'string' || !JOB_ID.test(spec.job)) {
    throw new FmiError('invalid-argument', `job id "${String(spec.job)}" may only hold letters, digits, ".", "_" and "-" (at most 128)`, { field: 'job' });
  }
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1)
    throw new FmiError('invalid-argument', `timeoutMs must be a positive integer, got ${String(timeoutMs)}`, { field: 'timeoutMs' });
  if (!Number.isInteger(killGraceMs) || killGraceMs < 0)
    throw new FmiError('invalid-argument', `killGraceMs must be an integer >= 0, got ${String(killGraceMs)}`, { field: 'killGraceMs' });
  const cwd = o.cwd ?? process.cwd();
  const command = rankCommand(spec.entry, spec.args, { cwd, node: o.node ?? process.execPath, nodeArgs: o.nodeArgs ?? [] });

  if (spec.signal?.aborted) {
    const error = stopError(spec.signal.reason);
    const ranks = Array.from({ length: spec.size }, (_, rank): RankOutcome => ({ rank, ok: false, error, durationMs: 0 }));
    return { ok: false, ranks, wallMs: Date.now() - t0 };
  }

  // The embedded rendezvous server, unless the caller brings one.
  let server: RendezvousServer | undefined;
  let rendezvous = spec.env.FMI_RENDEZVOUS;
  let secret = spec.env.FMI_SECRET;
  const connected = new Set<number>();
  if (!rendezvous) {
    const serverKey = generateServerKey();
    const serverLogger: Logger = {
      ...silent,
      // The server reports each authenticated control connection at debug level; that moment is
      // when a rank's direct channel is open, which is what `onRankConnected` promises.
      debug(message, fields) {
        if (message === '[rendezvous] rank joined' && fields?.job === spec.job && typeof fields.rank === 'number' && !connected.has(fields.rank)) {
          connected.add(fields.rank);
          spec.onRankConnected?.(fields.rank);
        }
      },
      warn: (message, fields) => logger.warn(message, fields),
      error: (message, fields) => logger.error(message, fields),
    };
    server = await startRendezvousServer({ host: o.rendezvousHost ?? '127.0.0.1', port: 0, serverKey, logger: serverLogger });
    rendezvous = formatAddress({ host: o.rendezvousHost ?? '127.0.0.1', port: server.address.port });
    secret = deriveJobSecret(serverKey, spec.job);
  } else if (!secret) {
    throw new FmiError('config', `spec.env.FMI_RENDEZVOUS is set (${rendezvous}) but FMI_SECRET is not — give the job secret of that server`, {
      field: 'FMI_SECRET',
    });
  }

  const ranks: Rank[] = [];
  let firstFailure: RankOutcome | undefined;
  /** Ranks in the order their exits were seen. */
  const exitOrder: number[] = [];
  let stopping: RankError | undefined;
  let settle: () => void = () => {};
  const allDone = new Promise<void>((resolve) => {
    settle = resolve;
  });

  const write = (rank: number, stream: 'stdout' | 'stderr', line: string) => {
    if (spec.onOutput) spec.onOutput(rank, stream, line);
    else (stream === 'stdout' ? process.stdout : process.stderr).write(`[${rank}] ${line}\n`);
  };

  const signalRank = (r: Rank, signal: NodeJS.Signals) => {
    if (r.exit || r.child.pid === undefined) return;
    try {
      // The negative PID is the rank's own process group (it was started detached, as its leader),
      // so whatever the rank itself started goes too. Only ever a PID this launcher spawned.
      process.kill(process.platform === 'win32' ? r.child.pid : -r.child.pid, signal);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') logger.warn(`[local] cannot signal rank ${r.rank}`, { error: (e as Error).message });
    }
  };

  const stopAll = (reason: RankError) => {
    if (stopping) return;
    stopping = reason;
    for (const r of ranks) {
      if (r.exit || r.outcome) continue;
      r.stopReason = reason;
      signalRank(r, 'SIGTERM');
      r.killTimer = setTimeout(() => signalRank(r, 'SIGKILL'), killGraceMs);
      r.giveUpTimer = setTimeout(() => finalize(r), killGraceMs + AFTER_KILL_MS);
    }
  };

  const finalize = (r: Rank) => {
    if (r.outcome) return;
    clearTimeout(r.killTimer);
    clearTimeout(r.giveUpTimer);
    const durationMs = Date.now() - r.started;
    const exitCode = r.exit?.code ?? null;
    let outcome: RankOutcome;
    if (!r.exit) {
      outcome = {
        rank: r.rank,
        ok: false,
        exitCode,
        error: { message: `did not exit ${AFTER_KILL_MS} ms after SIGKILL; left running (pid ${r.child.pid})`, kind: 'timeout' },
        durationMs,
      };
      logger.error(`[local] rank ${r.rank} (pid ${r.child.pid}) did not exit after SIGKILL`);
    } else if (exitCode === 0) {
      outcome = { rank: r.rank, ok: true, exitCode, durationMs };
    } else if (r.stopReason && !r.record) {
      outcome = { rank: r.rank, ok: false, exitCode, error: r.stopReason, durationMs };
    } else {
      outcome = { rank: r.rank, ok: false, exitCode, error: describeFailure(r), durationMs };
    }
    r.outcome = outcome;
    spec.onRankEvent?.(r.rank, 'exited', outcome);
    if (ranks.length === spec.size && ranks.every((x) => x.outcome)) settle();
  };

  const onExit = (r: Rank, code: number | null, signal: NodeJS.Signals | null) => {
    if (r.exit) return;
    r.exit = { code, signal };
    exitOrder.push(r.rank);
    clearTimeout(r.killTimer);
    // The failure is decided now, in exit order, not when its output has drained: the rank that
    // died first is the cause, the ones that lose their peer a moment later are consequences.
    if (!r.stopReason && code !== 0 && !stopping) {
      firstFailure = { rank: r.rank, ok: false, exitCode: code, durationMs: Date.now() - r.started };
      stopAll({ message: `stopped: rank ${r.rank} failed`, kind: 'aborted' });
    }
    const drainTimer = setTimeout(() => finalize(r), DRAIN_MS);
    void r.drained.then(() => {
      clearTimeout(drainTimer);
      finalize(r);
    });
  };

  const abortListener = () => stopAll(stopError(spec.signal?.reason));
  spec.signal?.addEventListener('abort', abortListener, { once: true });
  const jobTimer = setTimeout(() => stopAll({ message: `stopped: the job did not finish within ${timeoutMs} ms`, kind: 'timeout' }), timeoutMs);

  try {
    for (let rank = 0; rank < spec.size; rank++) {
      const env: NodeJS.ProcessEnv = { ...process.env };
      for (const [key, value] of Object.entries(spec.env)) env[key] = value.replaceAll('{rank}', String(rank));
      Object.assign(env, { FMI_RANK: String(rank), FMI_SIZE: String(spec.size), FMI_JOB: spec.job, FMI_RENDEZVOUS: rendezvous, FMI_SECRET: secret });
      const child = spawn(command.file, command.args, {
        cwd,
        env,
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        detached: process.platform !== 'win32',
        windowsHide: true,
      });
      const stderrTail: string[] = [];
      const r: Rank = {
        rank,
        child,
        started: Date.now(),
        stderrTail,
        record: undefined,
        exit: undefined,
        stopReason: undefined,
        outcome: undefined,
        killTimer: undefined,
        giveUpTimer: undefined,
        drained: Promise.all([
          splitLines(child.stdout as NonNullable<typeof child.stdout>, (line) => write(rank, 'stdout', line)),
          splitLines(child.stderr as NonNullable<typeof child.stderr>, (text) => {
            // The record may follow a partial line the rank wrote without a newline.
            const at = text.indexOf(RANK_ERROR_MARKER);
            const record = at >= 0 ? parseErrorRecord(text.slice(at)) : undefined;
            if (record) r.record ??= record;
            const line = record ? text.slice(0, at) : text;
            if (record && line === '') return;
            stderrTail.push(line);
            if (stderrTail.length > STDERR_TAIL) stderrTail.shift();
            write(rank, 'stderr', line);
          }),
        ]).then(() => {}),
      };
      ranks.push(r);
      child.once('spawn', () => spec.onRankEvent?.(rank, 'started'));
      child.once('error', (e) => {
        // Spawning failed (or, rarely, signalling did): without a process there is no exit event.
        if (child.pid === undefined || child.exitCode !== null) {
          r.record ??= { message: `cannot start rank ${rank}: ${e.message}` };
          onExit(r, child.exitCode ?? 127, null);
        } else logger.warn(`[local] rank ${rank}: ${e.message}`);
      });
      child.once('exit', (code, signal) => onExit(r, code, signal));
      // The IPC channel exists only so the rank notices the launcher's death; it must not keep the
      // launcher alive either.
      child.channel?.unref();
    }
    // The signal may have fired while the server started, before the listener was added.
    if (spec.signal?.aborted) abortListener();
    // Spawning is synchronous, so no exit or abort event can interleave with the loop above: every
    // rank is registered before the first one can be stopped.
    await allDone;
  } finally {
    clearTimeout(jobTimer);
    spec.signal?.removeEventListener('abort', abortListener);
    for (const r of ranks) {
      clearTimeout(r.killTimer);
      clearTimeout(r.giveUpTimer);
    }
    if (server) await closeServer(server, logger);
  }

  const outcomes = ranks.map((r) => r.outcome as RankOutcome);
  // The cause is the first rank, in exit order, that failed with an error of its own. A rank that
  // only lost its peer (or timed out waiting for it) is a consequence, even when its exit was seen
  // first: a peer's death can reach a neighbour's socket before the launcher sees the exit.
  const cause = exitOrder.map((rank) => outcomes[rank]).find((o) => !o.ok && o.error && !CONSEQUENCES.has(o.error.kind ?? ''));
  const first = cause ?? (firstFailure ? outcomes[firstFailure.rank] : undefined);
  const ok = outcomes.every((x) => x.ok);
  return { ok, ranks: outcomes, ...(first ? { firstFailure: first } : {}), wallMs: Date.now() - t0 };
}

/** Error kinds that follow from another rank's failure rather than cause one. */
const CONSEQUENCES: ReadonlySet<string> = new Set(['peer-lost', 'timeout', 'aborted', 'closed']);

/** The error of a rank that failed on its own: its error record, else a guess from its stderr. */
function describeFailure(r: Rank): RankError {
  const how = r.exit?.signal ? `killed by ${r.exit.signal}` : `exit code ${r.exit?.code}`;
  const error = r.record ?? guessErrorFromStderr(r.stderrTail);
  if (!error) return { message: `${how}, no error message` };
  return r.exit?.signal ? { ...error, message: `${error.message} (${how})` } : error;
}

/** Why ranks are being stopped, from an abort reason: a timeout, or the user's interrupt. */
function stopError(reason: unknown): RankError {
  const timeout = (FmiError.is(reason) && reason.kind === 'timeout') || (reason instanceof Error && reason.name === 'TimeoutError');
  const detail = reason instanceof Error && reason.message ? `: ${reason.message.replace(/^\[fmi\] /, '')}` : '';
  return timeout
    ? { message: `stopped: the job timed out${detail}`, kind: 'timeout' }
    : { message: `stopped: the launch was aborted${detail}`, kind: 'aborted' };
}

/** Closes the embedded server; a hung close must not hold the launcher. */
async function closeServer(server: RendezvousServer, logger: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      logger.warn('[local] the embedded rendezvous server did not close within 5 s');
      resolve();
    }, 5_000);
  });
  try {
    await Promise.race([server.close(), bound]);
  } finally {
    clearTimeout(timer);
  }
}

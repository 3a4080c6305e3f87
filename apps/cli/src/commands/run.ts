import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FmiError, type Hint, type LaunchResult, type PlatformProvider, type PriceBook, resolveConfig } from '@fmi/core';
import type { LocalLaunchSpec } from '@fmi/self-hosted';
import { createChannels, effectivePrices } from '../channel-models.js';
import { EXIT, UsageError } from '../cli-error.js';
import { bool, choiceFlag, intFlag, parseFlags, str } from '../flags.js';
import { loadProviders } from '../provider-modules.js';
import type { CommandIo } from './io.js';
import { RunProgress } from './run-progress.js';
import { formatSummary, readRankStats, STATS_FILE_TEMPLATE } from './run-summary.js';

export const RUN_HELP = `usage: fmi run -n RANKS [options] SCRIPT [ARGS...]

Runs SCRIPT on RANKS ranks of one job, like mpirun. Each rank gets the FMI_* environment
(FMI_RANK, FMI_SIZE, FMI_JOB, FMI_SECRET, FMI_RENDEZVOUS, ...), so \`connect()\` with no arguments
joins the job. Output is prefixed with the rank: "[3] ...". The first rank that fails stops the
job; Ctrl-C stops every rank.

options:
  -n, --ranks N        number of ranks (required)
      --channel NAME   force one channel for every operation: direct, redis, ... (FMI_CHANNEL)
      --hint HINT      fast or cheap: what the policy optimises (FMI_HINT)
      --config FILE    an fmi.json, validated here and passed to ranks (FMI_CONFIG)
      --platform NAME  where ranks run (default local: processes on this machine; aws-lambda,
                       gcp-functions, azure-functions when their packages are installed)
      --function NAME  the deployed function cloud ranks run (instead of SCRIPT)
      --timeout MS     stop the job after MS milliseconds (default 3600000; exit code 124)
      --job ID         job id (default: generated); scopes every key and pairing
  -q, --quiet          no progress line and no summary
      --verbose        stack traces for errors
  -h, --help           this help

Everything after SCRIPT goes to the script. SCRIPT is JavaScript (.js, .mjs, .cjs); TypeScript
runs only with tsx installed — otherwise build it first.

At the end fmi prints wall time, bytes and messages per channel and the model's estimated cost,
from the stats each rank writes to FMI_STATS_FILE when it closes its communicator.`;

const DEFAULT_TIMEOUT_MS = 3_600_000;

/** `fmi run`: launches a job on a platform and reports how it went. */
export async function runCommand(args: readonly string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseFlags(
    'run',
    args,
    {
      ranks: { type: 'string', short: 'n' },
      np: { type: 'string' },
      channel: { type: 'string' },
      hint: { type: 'string' },
      config: { type: 'string' },
      platform: { type: 'string' },
      function: { type: 'string' },
      timeout: { type: 'string' },
      job: { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (bool(values, 'help')) {
    io.out(RUN_HELP);
    return 0;
  }
  const ranksFlag = str(values, 'ranks') !== undefined ? '--ranks' : '--np';
  const size = intFlag(ranksFlag, str(values, 'ranks') ?? str(values, 'np'), { min: 1, max: 4096 });
  if (size === undefined) throw new UsageError('--ranks', 'is required: how many ranks to run, e.g. -n 4');
  // On a cloud platform the ranks run a deployed function: `--function NAME` names it, and every
  // positional argument goes to the ranks.
  const fn = str(values, 'function');
  const [script, ...scriptArgs] = fn !== undefined ? [fn, ...positionals] : positionals;
  if (script === undefined) throw new UsageError('<script>', 'missing: the .js file every rank runs, e.g. fmi run -n 4 app.js');
  if (fn !== undefined && (str(values, 'platform') ?? 'local') === 'local') {
    throw new UsageError('--function', 'names a deployed function, for a cloud platform (e.g. --platform aws-lambda); local ranks run a SCRIPT');
  }
  const hint = choiceFlag<Hint>('--hint', str(values, 'hint'), ['fast', 'cheap']);
  const timeoutMs = intFlag('--timeout', str(values, 'timeout'), { min: 1, max: 7 * 24 * 3_600_000 }) ?? DEFAULT_TIMEOUT_MS;
  const channel = str(values, 'channel');
  const platformName = str(values, 'platform') ?? 'local';
  const job = str(values, 'job') ?? `fmi-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(job)) throw new UsageError('--job', `"${job}" may only hold letters, digits, ".", "_" and "-" (at most 128)`);
  const configPath = str(values, 'config');

  // Everything a rank would reject is checked here, once, before any rank starts: a bad setting
  // found by N ranks at once is N copies of one error, or worse, a hang.
  const config = await resolveConfig({ file: configPath, env: io.env, options: { ...(hint ? { hint } : {}), ...(channel ? { channel } : {}) } });
  const providers = await loadProviders();
  const platform = providers.platforms.find((p) => p.name === platformName);
  if (!platform) {
    const failed = providers.failures.map((f) => `${f.pkg}: ${f.error}`).join('; ');
    throw new UsageError(
      '--platform',
      `no platform "${platformName}" (available: ${providers.platforms.map((p) => p.name).join(', ') || 'none'})${failed ? `; failed to load ${failed}` : ''}`,
    );
  }
  const local = platform.name === 'local';
  // The local platform provides the rendezvous server, so the direct channel is always available there.
  const rankEnv = { ...io.env, ...(local ? { FMI_RENDEZVOUS: 'tcp://127.0.0.1:9', FMI_SECRET: 'checked-by-the-launcher' } : {}) };
  const channels = createChannels({ providers: providers.channels, config, env: rankEnv, size, job, placeholders: false });
  if (config.channel && !channels.some((c) => c.name === config.channel)) {
    throw new UsageError(
      channel ? '--channel' : 'channel',
      `channel "${config.channel}" is not available (available: ${channels.map((c) => c.name).join(', ') || 'none'}) — its settings may be missing, e.g. FMI_REDIS_URL for redis`,
    );
  }

  // Per-rank stats files are read back from this machine's disk, so only local ranks get them.
  const statsDir = local ? await mkdtemp(join(tmpdir(), 'fmi-run-')) : undefined;
  try {
    return await launchAndReport({
      io,
      platform,
      local,
      size,
      job,
      script,
      scriptArgs,
      statsDir,
      configPath,
      hint,
      channel,
      timeoutMs,
      quiet: bool(values, 'quiet'),
      memoryMiB: config.memoryMiB,
      prices: effectivePrices(providers.priceBook, config),
    });
  } finally {
    if (statsDir) await rm(statsDir, { recursive: true, force: true });
  }
}

interface LaunchInput {
  readonly io: CommandIo;
  readonly platform: PlatformProvider;
  readonly local: boolean;
  readonly size: number;
  readonly job: string;
  readonly script: string;
  readonly scriptArgs: readonly string[];
  readonly statsDir: string | undefined;
  readonly configPath: string | undefined;
  readonly hint: Hint | undefined;
  readonly channel: string | undefined;
  readonly timeoutMs: number;
  readonly quiet: boolean;
  readonly memoryMiB: number;
  readonly prices: PriceBook;
}

/** Launches the job with progress, Ctrl-C and the timeout wired up; prints the summary and the verdict. */
async function launchAndReport(o: LaunchInput): Promise<number> {
  const { io, size, job, timeoutMs, quiet, platform } = o;
  const env: Record<string, string> = {};
  if (o.statsDir) env.FMI_STATS_FILE = join(o.statsDir, STATS_FILE_TEMPLATE);
  if (o.configPath) env.FMI_CONFIG = resolve(o.configPath);
  if (o.hint) env.FMI_HINT = o.hint;
  if (o.channel) env.FMI_CHANNEL = o.channel;

  const progress = new RunProgress(io, size, o.local, !quiet);
  const abort = new AbortController();
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = signal;
    progress.aside(() => io.err(`fmi: ${signal}: stopping every rank…`));
    abort.abort(new FmiError('aborted', `interrupted by ${signal}`));
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    abort.abort(new FmiError('timeout', `the job did not finish within --timeout ${timeoutMs} ms`));
  }, timeoutMs);

  const spec: LocalLaunchSpec = {
    job,
    size,
    entry: o.script,
    args: o.scriptArgs,
    env,
    signal: abort.signal,
    onOutput: (rank, stream, line) => progress.aside(() => (stream === 'stdout' ? io.out(`[${rank}] ${line}`) : io.err(`[${rank}] ${line}`))),
    onRankEvent: (_rank, event) => {
      if (event === 'started') progress.rankStarted();
    },
    onRankConnected: () => progress.rankConnected(),
  };
  let result: LaunchResult;
  try {
    progress.begin(job, platform.name);
    result = await platform.launch(spec);
  } finally {
    clearTimeout(timer);
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    progress.end();
  }

  if (!quiet) {
    const stats = o.statsDir ? await readRankStats(o.statsDir, size) : [];
    const status = result.ok
      ? 'ok'
      : interrupted
        ? `interrupted (${interrupted})`
        : timedOut
          ? 'timed out'
          : result.firstFailure
            ? `failed (rank ${result.firstFailure.rank})`
            : 'failed';
    for (const line of formatSummary({ job, size, wallMs: result.wallMs, status, stats, memoryMiB: o.memoryMiB, prices: o.prices })) io.err(line);
  }

  if (result.ok) return EXIT.ok;
  if (interrupted) return interrupted === 'SIGINT' ? EXIT.interrupted : 143;
  if (timedOut) {
    io.err(`fmi: error: --timeout: the job did not finish within ${timeoutMs} ms; every rank was stopped`);
    return EXIT.timeout;
  }
  const f = result.firstFailure ?? result.ranks.find((r) => !r.ok);
  if (!f) {
    io.err('fmi: error: the job failed');
    return EXIT.failure;
  }
  const how = f.exitCode === null || f.exitCode === undefined ? 'was killed' : `exited with code ${f.exitCode}`;
  const stopped = result.ranks.filter((r) => r.rank !== f.rank && !r.ok).length;
  io.err(
    `fmi: error: rank ${f.rank} failed (${how}): ${f.error?.message ?? 'no error message'}${f.error?.kind ? ` [${f.error.kind}]` : ''}${stopped > 0 ? `; ${stopped} other rank${stopped === 1 ? ' was' : 's were'} stopped` : ''}`,
  );
  // Like mpirun: the failing rank's own exit code, when it is an ordinary one.
  return f.exitCode !== null && f.exitCode !== undefined && f.exitCode >= 1 && f.exitCode <= 125 ? f.exitCode : EXIT.failure;
}

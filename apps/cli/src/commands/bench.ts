import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../cli-error.js';
import { bool, intFlag, parseFlags, str } from '../flags.js';
import { formatTable } from '../table.js';
import { benchKernels } from './bench-kernels.js';
import type { CommandIo } from './io.js';

export const BENCH_HELP = `usage: fmi bench kernels [--elements N] [--ms MS] [--rounds R]
       fmi bench redis [URL] [--rounds R]

Benchmarks are programs, not tests: they print figures for this machine.

  kernels   throughput of core's reduction kernels (float32 sum, a float32 custom op, float64
            sum, int32 bxor), in elements per second, next to a hand-written JS loop doing the
            same work in the same run; ratio = kernel / loop
            --elements N   elements per array (default 1048576)
            --ms MS        measuring time per case and contender (default 600)
            --rounds R     alternating rounds, best one reported (default 5)
  redis     latency of the Redis channel against raw SET+GET (URL or FMI_REDIS_URL), the
            benchmark program of @fmi/self-hosted

options:
  -h, --help   this help`;

/** `fmi bench`: dispatches to one benchmark. */
export async function benchCommand(args: readonly string[], io: CommandIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === '-h' || sub === '--help') {
    io.out(BENCH_HELP);
    return 0;
  }
  if (sub === undefined) throw new UsageError('fmi bench', 'needs a benchmark: kernels or redis — see `fmi bench --help`');
  switch (sub) {
    case 'kernels':
      return kernels(rest, io);
    case 'redis':
      return packagedBench('redis/bench.js', rest, io);
    default:
      throw new UsageError(sub, 'unknown benchmark (use kernels or redis) — see `fmi bench --help`');
  }
}

function kernels(args: readonly string[], io: CommandIo): number {
  const { values, positionals } = parseFlags('bench kernels', args, {
    elements: { type: 'string' },
    ms: { type: 'string' },
    rounds: { type: 'string' },
    verbose: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (bool(values, 'help')) {
    io.out(BENCH_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(positionals[0], 'unexpected argument — see `fmi bench --help`');
  const elements = intFlag('--elements', str(values, 'elements'), { min: 1, max: 1 << 28 }) ?? 1 << 20;
  const budgetMs = intFlag('--ms', str(values, 'ms'), { min: 1, max: 600_000 }) ?? 600;
  const rounds = intFlag('--rounds', str(values, 'rounds'), { min: 1, max: 1000 }) ?? 5;
  io.out(`reduction kernels, ${elements.toLocaleString('en-US')} elements per array, best of ${rounds} rounds (Node ${process.version})`);
  io.out('');
  const results = benchKernels({ elements, budgetMs, rounds });
  const perSecond = (n: number) => `${(n / 1e6).toFixed(0)} M/s`;
  io.out(
    formatTable(
      ['case', 'kernel', 'hand-written loop', 'ratio'],
      results.map((r) => [r.name, perSecond(r.kernel), perSecond(r.baseline), `${(r.kernel / r.baseline).toFixed(2)}×`]),
      ['l', 'r', 'r', 'r'],
    ),
  );
  return 0;
}

/**
 * Runs a benchmark program that ships inside `@fmi/self-hosted`'s build, in its own process with this
 * terminal, so its output and Ctrl-C behave as when run directly.
 */
async function packagedBench(relative: string, args: readonly string[], io: CommandIo): Promise<number> {
  const file = fileURLToPath(new URL(`./${relative}`, import.meta.resolve('@fmi/self-hosted')));
  if (!existsSync(file)) throw new UsageError(relative.split('/')[0], `this build of @fmi/self-hosted has no ${relative}`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, ...args], { stdio: 'inherit', env: io.env as NodeJS.ProcessEnv });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : 1)));
  });
}

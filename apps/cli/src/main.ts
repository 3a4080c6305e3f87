import { readFileSync } from 'node:fs';
import { errorLine, exitCodeOf, UsageError } from './cli-error.js';
import { type CommandIo, processIo } from './commands/io.js';

export const MAIN_HELP = `usage: fmi <command> [options]

MPI-style messaging for serverless functions.

commands:
  run          run a script on N ranks of one job, like mpirun       fmi run -n 8 app.js
  plan         the policy's ranking of channels and algorithms       fmi plan -n 64 --bytes 1MiB
  rendezvous   the rendezvous server for direct-channel jobs         fmi rendezvous --port 10000
  gc           delete what a crashed job left in the stores          fmi gc --job ID
  bench        benchmarks (reduction kernels, Redis latency)         fmi bench kernels

options:
  -h, --help     help (also \`fmi <command> --help\`)
  -V, --version  the version of fmi
  --verbose      print stack traces with errors

Run \`fmi <command> --help\` for a command's flags.`;

type Command = (args: readonly string[], io: CommandIo) => Promise<number> | number;

// Loaded on use: a command pulls in core, the providers and their SDKs, which `fmi --help` and the
// other commands need not pay for.
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  run: async () => (await import('./commands/run.js')).runCommand,
  plan: async () => (await import('./commands/plan.js')).planCommand,
  rendezvous: async () => (await import('./commands/rendezvous.js')).rendezvousCommand,
  gc: async () => (await import('./commands/gc.js')).gcCommand,
  bench: async () => (await import('./commands/bench.js')).benchCommand,
};

/**
 * Runs `fmi` with `argv` (without node and the script) and returns the exit code. Errors are
 * reported here, as one line `fmi: error: ...` naming the flag or config field at fault; the stack
 * follows only with --verbose.
 */
export async function main(argv: readonly string[], io: CommandIo = processIo): Promise<number> {
  let args = [...argv];
  let verbose = false;
  // Global flags before the command.
  while (args[0]?.startsWith('-')) {
    const flag = args[0];
    if (flag === '--verbose') verbose = true;
    else if (flag === '-h' || flag === '--help') {
      io.out(MAIN_HELP);
      return 0;
    } else if (flag === '-V' || flag === '--version') {
      io.out(version());
      return 0;
    } else {
      io.err(errorLine(new UsageError(flag, 'unknown flag — see `fmi --help`')));
      return 2;
    }
    args = args.slice(1);
  }
  const [name, ...rest] = args;
  if (name === undefined) {
    io.err(MAIN_HELP);
    return 2;
  }
  const load = COMMANDS[name];
  if (!load) {
    io.err(errorLine(new UsageError(name, `unknown command (commands: ${Object.keys(COMMANDS).join(', ')}) — see \`fmi --help\``)));
    return 2;
  }
  // --verbose among the command's own flags; for `run`, not among the script's arguments.
  verbose ||= ownArgs(name, rest).includes('--verbose');
  try {
    const command = await load();
    return await command(rest, io);
  } catch (error) {
    io.err(errorLine(error));
    if (verbose && error instanceof Error) io.err(error.stack ?? String(error));
    return exitCodeOf(error);
  }
}

/** The arguments that belong to fmi: for `run`, those before the script. */
function ownArgs(command: string, args: readonly string[]): readonly string[] {
  if (command !== 'run') return args;
  const valued = new Set(['-n', '--ranks', '--np', '--channel', '--hint', '--config', '--platform', '--timeout', '--job']);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--' || !a.startsWith('-')) return args.slice(0, i);
    if (valued.has(a)) i++;
  }
  return args;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return `fmi ${pkg.version} (Node ${process.version})`;
}

import { pathToFileURL } from 'node:url';
import type { ObjectChannel } from '../channel.js';
import { benchObjectChannel } from './object-channel-bench.js';

/** The channel a bench program measures, and the title line that says which one it is. */
export interface ObjectBenchTarget {
  readonly title: string;
  make(): ObjectChannel;
}

/**
 * The command line of a provider's bench program (`node dist/bench.js --bucket B --rounds 3`). Runs
 * only when `moduleUrl` is the script node started, so the module stays importable. `target` reads
 * the provider's own flags and returns the channel to measure, or the usage message when a flag is
 * missing (exit code 2); `--rounds` (default 3) is read here. A failure prints its message (exit code 1).
 */
export function runObjectBenchProgram(moduleUrl: string, target: (flag: (name: string) => string | undefined) => ObjectBenchTarget | string): void {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  const args = process.argv.slice(2);
  const flag = (name: string) => {
    const at = args.indexOf(name);
    return at >= 0 ? args[at + 1] : undefined;
  };
  const main = async () => {
    const chosen = target(flag);
    if (typeof chosen === 'string') {
      console.error(chosen);
      process.exitCode = 2;
      return;
    }
    const rounds = Number(flag('--rounds') ?? 3);
    console.log(`${chosen.title}: medians of ${rounds} rounds`);
    await benchObjectChannel(() => chosen.make(), { rounds, log: (line) => console.log(line) });
  };
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}

import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Communicator, connect, FmiError } from '@fmi/core';
import { HelpRequested, UsageError } from './args.js';
import { providerModules } from './provider-modules.js';

/**
 * True when the module at `moduleUrl` is the script node was started with (`node kmeans.js`, which
 * is how `fmi run` starts each rank), false when it is imported (tests, other programs). Both
 * paths go through realpath so a symlinked checkout or `node_modules/.bin` link still matches.
 */
export function isMain(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(fileURLToPath(moduleUrl)) === realpathSync(script);
  } catch {
    return false;
  }
}

/**
 * Connects this rank from the FMI_* environment a launcher sets, with every provider module that
 * is installed, runs `fn` and closes the communicator. After a failure the close is bounded to a
 * second: the other ranks may be gone, and the error matters more than a tidy close.
 */
export async function withWorld<R>(fn: (comm: Communicator) => Promise<R>): Promise<R> {
  const comm = await connect({ modules: await providerModules() });
  let result: R;
  try {
    result = await fn(comm);
  } catch (err) {
    await comm.close({ timeoutMs: 1000 }).catch(() => {});
    throw err;
  }
  await comm.close();
  return result;
}

/**
 * Runs an example's `main` and turns its outcome into the exit code: its return value (default 0),
 * 2 for a usage error (one line), 1 for anything else (an FmiError prints its one-line message, any
 * other error its stack, since that is a bug).
 */
export function runMain(main: () => Promise<number | undefined>): void {
  main().then(
    (code) => {
      process.exitCode = code ?? 0;
    },
    (err: unknown) => {
      if (err instanceof HelpRequested) {
        console.log(err.message);
        process.exitCode = 0;
      } else if (err instanceof UsageError) {
        console.error(`error: ${err.message}`);
        process.exitCode = 2;
      } else if (FmiError.is(err)) {
        console.error(`error: ${err.message}${err.cause instanceof Error ? ` (cause: ${err.cause.message})` : ''}`);
        process.exitCode = 1;
      } else {
        console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
        process.exitCode = 1;
      }
    },
  );
}

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { retryOnPortInUse, spawnServer } from './server-process.js';

/** A dynalite child process started for tests or benchmarks. */
export interface DynaliteHandle {
  /** `http://127.0.0.1:<port>`: pass as the DynamoDB `endpoint`. */
  readonly endpoint: string;
  readonly port: number;
  /** Any credentials work; these are what tests pass so the SDK never looks for real ones. */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly dir: string;
  stop(): Promise<void>;
}

export interface StartDynaliteOptions {
  /** Keep data in LevelDB under the temp dir instead of memory. */
  readonly persist?: boolean;
  readonly startTimeoutMs?: number;
}

/**
 * Starts dynalite 4.0 on loopback. Tables become ACTIVE at once (`--createTableMs 0`; the default
 * keeps them CREATING for 500 ms). dynalite treats port 0 as "default 4567", so a free port is
 * picked first and the start retried on another if the bind races.
 */
export async function startDynalite(options: StartDynaliteOptions = {}): Promise<DynaliteHandle> {
  const require = createRequire(import.meta.url);
  const script = join(dirname(require.resolve('dynalite/package.json')), 'cli.js');
  return retryOnPortInUse(undefined, async (port) => {
    const proc = await spawnServer({
      what: 'dynalite',
      args: [
        script,
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--createTableMs',
        '0',
        '--deleteTableMs',
        '0',
        '--updateTableMs',
        '0',
        ...(options.persist ? ['--path', '{dir}'] : []),
      ],
      ready: /Dynalite listening at: \S+:(\d+)/,
      portInUse: /EADDRINUSE/,
      ...(options.startTimeoutMs ? { startTimeoutMs: options.startTimeoutMs } : {}),
    });
    return {
      endpoint: `http://127.0.0.1:${port}`,
      port,
      credentials: { accessKeyId: 'fmi-local', secretAccessKey: 'fmi-local' },
      dir: proc.dir,
      stop: proc.stop,
    };
  });
}

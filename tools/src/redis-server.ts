import { retryOnPortInUse, spawnServer } from './server-process.js';

/** A redis-server child process started for tests or benchmarks. */
export interface RedisServerHandle {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Its working directory (a fresh temp dir, removed by `stop()`). */
  readonly dir: string;
  readonly pid: number | undefined;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartRedisServerOptions {
  /** Port to listen on; a free one by default. */
  readonly port?: number;
  /** How long to wait for "Ready to accept connections". */
  readonly startTimeoutMs?: number;
  /** Extra `--name value` arguments, e.g. `['--maxmemory', '64mb']`. */
  readonly args?: readonly string[];
}

const INSTALL_HINT = 'install it with `apt-get install -y redis-server` (Debian/Ubuntu) or put redis-server on PATH';

/**
 * Starts the system's `redis-server` on loopback with persistence off and its data in a temp dir.
 * Resolves once the server logs that it accepts connections (no polling). A port lost to a race
 * between `freePort()` and the server's bind is retried on a new port.
 */
export async function startRedisServer(options: StartRedisServerOptions = {}): Promise<RedisServerHandle> {
  return retryOnPortInUse(options.port, async (port) => {
    const host = '127.0.0.1';
    const proc = await spawnServer({
      what: 'redis-server',
      command: 'redis-server',
      dirPrefix: 'fmi-redis-',
      port,
      args: [
        '--port',
        String(port),
        '--bind',
        host,
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        '{dir}',
        '--daemonize',
        'no',
        '--loglevel',
        'notice',
        ...(options.args ?? []),
      ],
      ready: /Ready to accept connections/,
      portInUse: /Address already in use|bind: /i,
      spawnFailure: (error) =>
        error.code === 'ENOENT'
          ? new Error(`[fmi] redis-server is not installed — ${INSTALL_HINT}`, { cause: error })
          : new Error(`[fmi] redis-server could not be started: ${error.message} — ${INSTALL_HINT}`, { cause: error }),
      startTimeoutMs: options.startTimeoutMs ?? 15_000,
    });
    return { url: `redis://${host}:${port}`, host, port, dir: proc.dir, pid: proc.pid, stop: proc.stop };
  });
}

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

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
  const attempts = options.port === undefined ? 3 : 1;
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    const port = options.port ?? (await freePort());
    try {
      return await startOnce(port, options);
    } catch (error) {
      lastError = error;
      if (!(error instanceof PortInUseError)) throw error;
    }
  }
  throw lastError;
}

class PortInUseError extends Error {}

async function startOnce(port: number, options: StartRedisServerOptions): Promise<RedisServerHandle> {
  const host = '127.0.0.1';
  const dir = await mkdtemp(join(tmpdir(), 'fmi-redis-'));
  const args = [
    '--port',
    String(port),
    '--bind',
    host,
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--daemonize',
    'no',
    '--loglevel',
    'notice',
    ...(options.args ?? []),
  ];
  let child: ChildProcess;
  try {
    child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`[fmi] redis-server could not be started: ${(error as Error).message} — ${INSTALL_HINT}`, { cause: error });
  }
  // If the test runner dies without teardown, do not leave a server behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const timeoutMs = options.startTimeoutMs ?? 15_000;
  let output = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => fail(new Error(`[fmi] redis-server on port ${port} did not become ready within ${timeoutMs} ms; output:\n${output}`)),
        timeoutMs,
      );
      const onData = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (output.includes('Ready to accept connections')) done();
        else if (/Address already in use|bind: /i.test(output)) fail(new PortInUseError(`[fmi] redis-server: port ${port} is in use`));
      };
      const onError = (error: NodeJS.ErrnoException) =>
        fail(
          error.code === 'ENOENT'
            ? new Error(`[fmi] redis-server is not installed — ${INSTALL_HINT}`, { cause: error })
            : new Error(`[fmi] redis-server could not be started: ${error.message}`, { cause: error }),
        );
      const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
        fail(
          /Address already in use/i.test(output)
            ? new PortInUseError(`[fmi] redis-server: port ${port} is in use`)
            : new Error(`[fmi] redis-server exited during start (code ${code}, signal ${signal}); output:\n${output}`),
        );
      const cleanup = () => {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stderr?.off('data', onData);
        child.off('error', onError);
        child.off('exit', onExit);
      };
      function done() {
        cleanup();
        resolve();
      }
      function fail(error: Error) {
        cleanup();
        reject(error);
      }
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('error', onError);
      child.once('exit', onExit);
    });
  } catch (error) {
    process.off('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  // Keep draining the pipes so a chatty server never blocks on a full pipe.
  child.stdout?.resume();
  child.stderr?.resume();

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      process.off('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const escalate = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(escalate);
      }
      await rm(dir, { recursive: true, force: true });
    })();
    return stopping;
  };
  return { url: `redis://${host}:${port}`, host, port, dir, pid: child.pid, stop };
}

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

/** A local stand-in server (redis-server, azurite, the GCS emulator, s3rver, dynalite) running as a child process. */
export interface ServerProcess {
  readonly pid: number | undefined;
  /** Its data directory (a fresh temp dir, removed by `stop()`). */
  readonly dir: string;
  /** The first match of `ready` in its output (e.g. the port it bound). */
  readonly match: RegExpMatchArray;
  /** SIGTERM, then SIGKILL after 5 s; removes the directory. Safe to call twice. */
  stop(): Promise<void>;
}

export interface SpawnServerOptions {
  /** What the server is, for messages: `s3rver`, `redis-server`, `GCS emulator`. */
  readonly what: string;
  /** Executable to run; default this Node (`process.execPath`), with the script as the first argument. */
  readonly command?: string;
  /** Arguments; `{dir}` is replaced with the temp dir. */
  readonly args: readonly string[];
  /** Prefix of the temp dir's name; default `fmi-<what>-`. */
  readonly dirPrefix?: string;
  /** Port the server was asked to bind, named in messages. */
  readonly port?: number;
  /** Output line that says the server is ready; its match is returned. */
  readonly ready: RegExp;
  /** Output that says the port was taken (the caller retries on another): while starting or when it exits. */
  readonly portInUse?: RegExp;
  /** Other output that means the start failed: the error to reject with (checked after `ready` and `portInUse`). */
  readonly failure?: (output: string) => Error | undefined;
  /** An exit during start that means something specific (e.g. an exit code for "port in use"); else the generic error. */
  readonly exitFailure?: (code: number | null, signal: NodeJS.Signals | null) => Error | undefined;
  /** The error for a spawn that fails (e.g. ENOENT: not installed); default "could not be started". */
  readonly spawnFailure?: (error: NodeJS.ErrnoException) => Error;
  /** Added to the child's environment; `{dir}` in a value is replaced with the temp dir. */
  readonly env?: Readonly<Record<string, string>>;
  /** `pipe` keeps the child's stdin open, so a launcher can exit on EOF when this process dies. Default `ignore`. */
  readonly stdin?: 'ignore' | 'pipe';
  /** Default 20 s. */
  readonly startTimeoutMs?: number;
}

export class PortInUseError extends Error {}

/**
 * Calls `start` with `port`, or with a free port up to three times while it fails with
 * `PortInUseError` (a port lost to a race between `freePort()` and the server's bind).
 */
export async function retryOnPortInUse<T>(port: number | undefined, start: (port: number) => Promise<T>): Promise<T> {
  const attempts = port === undefined ? 3 : 1;
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await start(port ?? (await freePort()));
    } catch (error) {
      lastError = error;
      if (!(error instanceof PortInUseError)) throw error;
    }
  }
  throw lastError;
}

/**
 * Spawns the server with a fresh temp dir and resolves once its output matches `ready` (no polling
 * of the port). The child is killed if the parent process exits without stopping it, so an aborted
 * test run leaves no server behind.
 */
export async function spawnServer(options: SpawnServerOptions): Promise<ServerProcess> {
  const { what } = options;
  const named = options.port === undefined ? what : `${what} on port ${options.port}`;
  const portInUse = () => new PortInUseError(options.port === undefined ? `[fmi] ${what}: port in use` : `[fmi] ${what}: port ${options.port} is in use`);
  const spawnFailure = options.spawnFailure ?? ((error: Error) => new Error(`[fmi] ${what} could not be started: ${error.message}`, { cause: error }));

  const dir = await mkdtemp(join(tmpdir(), options.dirPrefix ?? `fmi-${what}-`));
  const args = options.args.map((a) => a.replaceAll('{dir}', dir));
  const env = Object.fromEntries(Object.entries(options.env ?? {}).map(([k, v]) => [k, v.replaceAll('{dir}', dir)]));
  let child: ChildProcess;
  try {
    child = spawn(options.command ?? process.execPath, args, {
      stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw spawnFailure(error as NodeJS.ErrnoException);
  }
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const timeoutMs = options.startTimeoutMs ?? 20_000;
  let output = '';
  let match: RegExpMatchArray;
  try {
    match = await new Promise<RegExpMatchArray>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`[fmi] ${named} did not become ready within ${timeoutMs} ms; output:\n${output}`)), timeoutMs);
      const onData = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        const m = output.match(options.ready);
        if (m) return done(m);
        if (options.portInUse?.test(output)) return fail(portInUse());
        const failed = options.failure?.(output);
        if (failed) fail(failed);
      };
      const onError = (error: NodeJS.ErrnoException) => fail(spawnFailure(error));
      const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
        fail(
          options.exitFailure?.(code, signal) ??
            (options.portInUse?.test(output)
              ? portInUse()
              : new Error(`[fmi] ${what} exited during start (code ${code}, signal ${signal}); output:\n${output}`)),
        );
      const cleanup = () => {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stderr?.off('data', onData);
        child.off('error', onError);
        child.off('exit', onExit);
      };
      function done(m: RegExpMatchArray) {
        cleanup();
        resolve(m);
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
    await killAndWait(child, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  // Keep draining the pipes so a chatty server never blocks on a full pipe, remembering the tail of
  // the output: a server that dies mid-run says why on stderr instead of leaving only ECONNREFUSED.
  let tail = output.slice(-4096);
  const keepTail = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4096);
  };
  child.stdout?.on('data', keepTail);
  child.stderr?.on('data', keepTail);
  let stopping: Promise<void> | undefined;
  child.once('exit', (code, signal) => {
    if (!stopping) process.stderr.write(`[fmi] ${what} (pid ${child.pid}) exited unexpectedly (code ${code}, signal ${signal}); last output:\n${tail}\n`);
  });

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      process.off('exit', killOnExit);
      await killAndWait(child, 'SIGTERM');
      await rm(dir, { recursive: true, force: true });
    })();
    return stopping;
  };
  return { pid: child.pid, dir, match, stop };
}

/** Sends `signal` (SIGKILL after 5 s if it is still running) and waits for the exit. */
async function killAndWait(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  const escalate = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(escalate);
}

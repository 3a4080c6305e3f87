import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A local stand-in server (s3rver, dynalite) running as a child process. */
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
  /** What the server is, for messages: `s3rver`, `dynalite`. */
  readonly what: string;
  /** Node script to run (the package's CLI). */
  readonly script: string;
  /** Arguments; `{dir}` is replaced with the temp dir. */
  readonly args: readonly string[];
  /** Output line that says the server is ready; its match is returned. */
  readonly ready: RegExp;
  /** Output that says the port was taken (the caller retries on another). */
  readonly portInUse?: RegExp;
  readonly env?: Readonly<Record<string, string>>;
  readonly startTimeoutMs?: number;
}

export class PortInUseError extends Error {}

/**
 * Spawns `node script ...args` with a fresh temp dir and resolves once its output matches `ready`
 * (no polling of the port). The child is killed if the parent process exits without stopping it,
 * so an aborted test run leaves no server behind.
 */
export async function spawnServer(options: SpawnServerOptions): Promise<ServerProcess> {
  const dir = await mkdtemp(join(tmpdir(), `fmi-${options.what}-`));
  const args = options.args.map((a) => a.replaceAll('{dir}', dir));
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [options.script, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
    });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`[fmi] ${options.what} could not be started: ${(error as Error).message}`, { cause: error });
  }
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const timeoutMs = options.startTimeoutMs ?? 20_000;
  let output = '';
  let match: RegExpMatchArray;
  try {
    match = await new Promise<RegExpMatchArray>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`[fmi] ${options.what} did not become ready within ${timeoutMs} ms; output:\n${output}`)), timeoutMs);
      const onData = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        const m = output.match(options.ready);
        if (m) done(m);
        else if (options.portInUse?.test(output)) fail(new PortInUseError(`[fmi] ${options.what}: port in use`));
      };
      const onError = (error: Error) => fail(new Error(`[fmi] ${options.what} could not be started: ${error.message}`, { cause: error }));
      const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
        fail(
          options.portInUse?.test(output)
            ? new PortInUseError(`[fmi] ${options.what}: port in use`)
            : new Error(`[fmi] ${options.what} exited during start (code ${code}, signal ${signal}); output:\n${output}`),
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
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
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
    if (!stopping)
      process.stderr.write(`[fmi] ${options.what} (pid ${child.pid}) exited unexpectedly (code ${code}, signal ${signal}); last output:\n${tail}\n`);
  });

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
  return { pid: child.pid, dir, match, stop };
}

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';

/** The Cloud Storage emulator of firebase-tools, running in a child process. */
export interface GcsEmulatorHandle {
  /** `http://127.0.0.1:<port>`: the value for `STORAGE_EMULATOR_HOST` (or the channel's `endpoint`). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The project id the emulator serves; pass it as `projectId` to @google-cloud/storage. */
  readonly projectId: string;
  /** The child's TMPDIR, where the emulator keeps blobs; removed by `stop()`. */
  readonly dir: string;
  readonly pid: number | undefined;
  /** Stops the emulator (SIGTERM, SIGKILL after 5 s) and removes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartGcsEmulatorOptions {
  readonly port?: number;
  /** Default `fmi-emulator`. */
  readonly projectId?: string;
  /** How long to wait for the emulator to listen; default 30 s (a loaded 2-core machine takes 1-4 s). */
  readonly startTimeoutMs?: number;
}

const LAUNCHER = fileURLToPath(new URL('./gcs-emulator-launcher.cjs', import.meta.url));

class PortInUseError extends Error {}

/**
 * Starts the GCS emulator on loopback with its blobs in a fresh temp dir and resolves once it
 * listens (the launcher says so on stdout; no polling). See `gcs-emulator-launcher.cjs` for how it
 * runs without Java. Known differences from Cloud Storage: buckets exist on first use (no
 * createBucket, `bucket.exists()` is always false), and generation preconditions
 * (`ifGenerationMatch`) are accepted but ignored.
 */
export async function startGcsEmulator(options: StartGcsEmulatorOptions = {}): Promise<GcsEmulatorHandle> {
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

async function startOnce(port: number, options: StartGcsEmulatorOptions): Promise<GcsEmulatorHandle> {
  const host = '127.0.0.1';
  const projectId = options.projectId ?? 'fmi-emulator';
  const dir = await mkdtemp(join(tmpdir(), 'fmi-gcs-'));
  // stdin stays a pipe we never close: when this process dies, the launcher sees EOF and exits.
  const child: ChildProcess = spawn(process.execPath, [LAUNCHER, String(port), projectId], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, TMPDIR: dir, METADATA_SERVER_DETECTION: 'none', NODE_OPTIONS: '' },
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const timeoutMs = options.startTimeoutMs ?? 30_000;
  let output = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => finish(new Error(`[fmi] GCS emulator on port ${port} did not start within ${timeoutMs} ms; output:\n${output}`)),
        timeoutMs,
      );
      const onData = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (/^READY \d+$/m.test(output)) finish();
        const failed = /^ERROR (\S+) (.*)$/m.exec(output);
        if (failed)
          finish(
            failed[1] === 'EADDRINUSE'
              ? new PortInUseError(`[fmi] GCS emulator: port ${port} is in use`)
              : new Error(`[fmi] GCS emulator failed to start: ${failed[2]}`),
          );
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
        finish(
          code === 3
            ? new PortInUseError(`[fmi] GCS emulator: port ${port} is in use`)
            : new Error(`[fmi] GCS emulator exited during start (code ${code}, signal ${signal}); output:\n${output}`),
        );
      const onError = (error: Error) => finish(new Error(`[fmi] GCS emulator could not be started: ${error.message}`, { cause: error }));
      function finish(error?: Error) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stderr?.off('data', onData);
        child.off('exit', onExit);
        child.off('error', onError);
        if (error) reject(error);
        else resolve();
      }
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', onExit);
      child.once('error', onError);
    });
  } catch (error) {
    process.off('exit', killOnExit);
    await killAndWait(child);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  // Keep draining the pipes so the emulator's logging never blocks on a full pipe.
  child.stdout?.resume();
  child.stderr?.resume();

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      process.off('exit', killOnExit);
      await killAndWait(child, 'SIGTERM');
      await rm(dir, { recursive: true, force: true });
    })();
    return stopping;
  };
  return { url: `http://${host}:${port}`, host, port, projectId, dir, pid: child.pid, stop };
}

async function killAndWait(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  const escalate = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(escalate);
}

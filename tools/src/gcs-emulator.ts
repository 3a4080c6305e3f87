import { fileURLToPath } from 'node:url';
import { PortInUseError, retryOnPortInUse, spawnServer } from './server-process.js';

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

/**
 * Starts the GCS emulator on loopback with its blobs in a fresh temp dir and resolves once it
 * listens (the launcher says so on stdout; no polling). See `gcs-emulator-launcher.cjs` for how it
 * runs without Java. Known differences from Cloud Storage: buckets exist on first use (no
 * createBucket, `bucket.exists()` is always false), and generation preconditions
 * (`ifGenerationMatch`) are accepted but ignored.
 */
export async function startGcsEmulator(options: StartGcsEmulatorOptions = {}): Promise<GcsEmulatorHandle> {
  return retryOnPortInUse(options.port, (port) => startOnce(port, options));
}

async function startOnce(port: number, options: StartGcsEmulatorOptions): Promise<GcsEmulatorHandle> {
  const host = '127.0.0.1';
  const projectId = options.projectId ?? 'fmi-emulator';
  const inUse = () => new PortInUseError(`[fmi] GCS emulator: port ${port} is in use`);
  const proc = await spawnServer({
    what: 'GCS emulator',
    dirPrefix: 'fmi-gcs-',
    port,
    args: [LAUNCHER, String(port), projectId],
    // stdin stays a pipe we never close: when this process dies, the launcher sees EOF and exits.
    stdin: 'pipe',
    // The emulator keeps its blobs under the child's TMPDIR: the fresh temp dir.
    env: { TMPDIR: '{dir}', METADATA_SERVER_DETECTION: 'none', NODE_OPTIONS: '' },
    ready: /^READY \d+$/m,
    failure: (output) => {
      const failed = /^ERROR (\S+) (.*)$/m.exec(output);
      if (!failed) return undefined;
      return failed[1] === 'EADDRINUSE' ? inUse() : new Error(`[fmi] GCS emulator failed to start: ${failed[2]}`);
    },
    exitFailure: (code) => (code === 3 ? inUse() : undefined),
    startTimeoutMs: options.startTimeoutMs ?? 30_000,
  });
  return { url: `http://${host}:${port}`, host, port, projectId, dir: proc.dir, pid: proc.pid, stop: proc.stop };
}

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort } from './free-port.js';

/** Azurite's well-known development account (public, documented by Microsoft; not a secret). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** An azurite Blob service child process. */
export interface AzuriteHandle {
  /** A connection string for the dev account at this port (the value for AZURE_STORAGE_CONNECTION_STRING). */
  readonly connectionString: string;
  /** `http://127.0.0.1:<port>/devstoreaccount1` */
  readonly blobEndpoint: string;
  readonly port: number;
  /** Its data directory (a fresh temp dir, removed by `stop()`). */
  readonly dir: string;
  readonly pid: number | undefined;
  /** Stops azurite (SIGTERM, SIGKILL after 5 s) and removes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartAzuriteOptions {
  readonly port?: number;
  /** Default 30 s. */
  readonly startTimeoutMs?: number;
}

class PortInUseError extends Error {}

/**
 * Starts `azurite-blob` 3.35.0 (3.36+ needs Node 21) on loopback with its data in a fresh temp dir;
 * resolves when it logs that it listens. Flags: `--skipApiVersionCheck` (the SDK is newer than the
 * API versions azurite knows: it would answer 400), `--loose` (ignore unsupported headers),
 * `--disableTelemetry` (it phones home otherwise), `--silent` (no access log).
 */
export async function startAzurite(options: StartAzuriteOptions = {}): Promise<AzuriteHandle> {
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

function azuriteBlobMain(): string {
  const require = createRequire(import.meta.url);
  let manifest: string;
  try {
    manifest = require.resolve('azurite/package.json');
  } catch (error) {
    throw new Error('[fmi] azurite is not installed (it is a devDependency of @fmi/azure: run npm install)', { cause: error });
  }
  const bin = (require(manifest) as { bin: Record<string, string> }).bin['azurite-blob'];
  if (!bin) throw new Error('[fmi] the installed azurite has no azurite-blob entry — pin azurite 3.35.0');
  return join(dirname(manifest), bin);
}

async function startOnce(port: number, options: StartAzuriteOptions): Promise<AzuriteHandle> {
  const host = '127.0.0.1';
  const dir = await mkdtemp(join(tmpdir(), 'fmi-azurite-'));
  const args = [
    azuriteBlobMain(),
    '--blobHost',
    host,
    '--blobPort',
    String(port),
    '--location',
    dir,
    '--silent',
    '--disableTelemetry',
    '--skipApiVersionCheck',
    '--loose',
  ];
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const timeoutMs = options.startTimeoutMs ?? 30_000;
  let output = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`[fmi] azurite on port ${port} did not start within ${timeoutMs} ms; output:\n${output}`)), timeoutMs);
      const onData = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (output.includes('successfully listens on')) finish();
        else if (/EADDRINUSE|address already in use/i.test(output)) finish(new PortInUseError(`[fmi] azurite: port ${port} is in use`));
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
        finish(
          /EADDRINUSE|address already in use/i.test(output)
            ? new PortInUseError(`[fmi] azurite: port ${port} is in use`)
            : new Error(`[fmi] azurite exited during start (code ${code}, signal ${signal}); output:\n${output}`),
        );
      const onError = (error: Error) => finish(new Error(`[fmi] azurite could not be started: ${error.message}`, { cause: error }));
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
  const blobEndpoint = `http://${host}:${port}/${AZURITE_ACCOUNT}`;
  const connectionString = `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_ACCOUNT_KEY};BlobEndpoint=${blobEndpoint};`;
  return { connectionString, blobEndpoint, port, dir, pid: child.pid, stop };
}

async function killAndWait(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  const escalate = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(escalate);
}

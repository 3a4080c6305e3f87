import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { retryOnPortInUse, spawnServer } from './server-process.js';

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

/**
 * Starts `azurite-blob` 3.35.0 (3.36+ needs Node 21) on loopback with its data in a fresh temp dir;
 * resolves when it logs that it listens. Flags: `--skipApiVersionCheck` (the SDK is newer than the
 * API versions azurite knows: it would answer 400), `--loose` (ignore unsupported headers),
 * `--disableTelemetry` (it phones home otherwise), `--silent` (no access log).
 */
export async function startAzurite(options: StartAzuriteOptions = {}): Promise<AzuriteHandle> {
  return retryOnPortInUse(options.port, (port) => startOnce(port, options));
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
  const proc = await spawnServer({
    what: 'azurite',
    port,
    args: [
      azuriteBlobMain(),
      '--blobHost',
      host,
      '--blobPort',
      String(port),
      '--location',
      '{dir}',
      '--silent',
      '--disableTelemetry',
      '--skipApiVersionCheck',
      '--loose',
    ],
    env: { NODE_OPTIONS: '' },
    ready: /successfully listens on/,
    portInUse: /EADDRINUSE|address already in use/i,
    startTimeoutMs: options.startTimeoutMs ?? 30_000,
  });
  const blobEndpoint = `http://${host}:${port}/${AZURITE_ACCOUNT}`;
  const connectionString = `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_ACCOUNT_KEY};BlobEndpoint=${blobEndpoint};`;
  return { connectionString, blobEndpoint, port, dir: proc.dir, pid: proc.pid, stop: proc.stop };
}

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnServer } from './server-process.js';

/** An s3rver child process started for tests or benchmarks. */
export interface S3rverHandle {
  /** `http://127.0.0.1:<port>`: pass as the S3 `endpoint` with `forcePathStyle: true`. */
  readonly endpoint: string;
  readonly port: number;
  /** The only credentials s3rver accepts. */
  readonly credentials: { readonly accessKeyId: 'S3RVER'; readonly secretAccessKey: 'S3RVER' };
  /** Buckets created at start. */
  readonly buckets: readonly string[];
  readonly dir: string;
  stop(): Promise<void>;
}

export interface StartS3rverOptions {
  /** Buckets to create at start (3+ characters each); default `['fmi-test']`. */
  readonly buckets?: readonly string[];
  readonly startTimeoutMs?: number;
}

/**
 * Starts s3rver 3.7 on loopback with its data in a temp dir. It binds port 0 and prints the port
 * it got, so there is no race for a free port. Runs with `--openssl-legacy-provider`: s3rver's
 * ListObjectsV2 continuation tokens use DES, and without the legacy provider every paged listing
 * answers 500. `--no-vhost-buckets` because clients use path-style URLs against 127.0.0.1.
 */
export async function startS3rver(options: StartS3rverOptions = {}): Promise<S3rverHandle> {
  const require = createRequire(import.meta.url);
  const script = join(dirname(require.resolve('s3rver/package.json')), 'bin', 's3rver.js');
  const buckets = options.buckets ?? ['fmi-test'];
  for (const b of buckets) if (b.length < 3) throw new Error(`[fmi] s3rver: bucket names need 3+ characters, got "${b}"`);
  const inherited = process.env.NODE_OPTIONS ?? '';
  const proc = await spawnServer({
    what: 's3rver',
    args: [
      join(dirname(fileURLToPath(import.meta.url)), 's3rver-keepalive.cjs'),
      script,
      '-d',
      '{dir}',
      '-a',
      '127.0.0.1',
      '-p',
      '0',
      '--silent',
      '--no-vhost-buckets',
      ...buckets.flatMap((b) => ['--configure-bucket', b]),
    ],
    ready: /S3rver listening on [^:]+:(\d+)/,
    env: { NODE_OPTIONS: `${inherited} --openssl-legacy-provider`.trim() },
    ...(options.startTimeoutMs ? { startTimeoutMs: options.startTimeoutMs } : {}),
  });
  const port = Number(proc.match[1]);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    buckets,
    dir: proc.dir,
    stop: proc.stop,
  };
}

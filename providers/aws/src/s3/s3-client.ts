import type { S3Client } from '@aws-sdk/client-s3';
import { credentialsKey, loadSdk } from '../sdk-loader.js';
import type { AwsCredentialsOption } from '../settings-check.js';

export type S3Sdk = typeof import('@aws-sdk/client-s3');

let sdk: Promise<S3Sdk> | undefined;

/** `@aws-sdk/client-s3`, imported on first use only (it is an optional peer dependency). */
export function s3Sdk(): Promise<S3Sdk> {
  sdk ??= loadSdk('s3', '@aws-sdk/client-s3', () => import('@aws-sdk/client-s3'));
  // A failed import is not cached, so installing the package fixes a warm process too.
  sdk.catch(() => {
    sdk = undefined;
  });
  return sdk;
}

export interface S3ClientSettings {
  readonly region: string;
  readonly endpoint: string | undefined;
  readonly forcePathStyle: boolean;
  readonly credentials: AwsCredentialsOption | undefined;
  /** Sockets per client: every rank in this process shares them. */
  readonly maxSockets: number;
}

/**
 * One client per distinct setting per process. In a Lambda the module scope survives warm starts,
 * so the second invocation reuses the first one's client, its credentials and its keep-alive
 * sockets; in tests many ranks in one process share one client, as ranks in one function would.
 */
const clients = new Map<string, Promise<S3Client>>();

export function s3Client(settings: S3ClientSettings): Promise<S3Client> {
  const key = JSON.stringify([settings.region, settings.endpoint ?? '', settings.forcePathStyle, credentialsKey(settings.credentials)]);
  let client = clients.get(key);
  if (!client) {
    client = s3Sdk().then(
      ({ S3Client }) =>
        new S3Client({
          region: settings.region,
          ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
          forcePathStyle: settings.forcePathStyle,
          ...(settings.credentials ? { credentials: typeof settings.credentials === 'function' ? settings.credentials : { ...settings.credentials } } : {}),
          // The SDK's default sends uploads as aws-chunked streams with a CRC trailer, which
          // S3-compatible servers (s3rver, older MinIO, Ceph) store as data; checksums only where
          // the API requires them (DeleteObjects) work with every server and with S3 itself.
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
          // The default of 50 sockets would queue the requests of a 64-rank collective behind each other.
          requestHandler: { httpAgent: { keepAlive: true, maxSockets: settings.maxSockets }, httpsAgent: { keepAlive: true, maxSockets: settings.maxSockets } },
        }),
    );
    clients.set(key, client);
    client.catch(() => clients.delete(key));
  }
  return client;
}

import type { S3Client } from '@aws-sdk/client-s3';
import { importPeerSdk, sharedClient } from '@fmi/core';
import { credentialsKey } from '../sdk-loader.js';
import type { AwsCredentialsOption } from '../settings-check.js';

export type S3Sdk = typeof import('@aws-sdk/client-s3');

/** `@aws-sdk/client-s3`, imported on first use only (an optional peer dependency); a failed import is retried next time. */
export function s3Sdk(): Promise<S3Sdk> {
  return importPeerSdk(() => import('@aws-sdk/client-s3'), { channel: 's3', packageName: '@aws-sdk/client-s3', range: '^3' });
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
 * One client per distinct setting per process (core's `sharedClient`). In a Lambda the module
 * scope survives warm starts, so the second invocation reuses the first one's client, its
 * credentials and its keep-alive sockets; in tests many ranks in one process share one client, as
 * ranks in one function would.
 */
const clients = new Map<string, Promise<S3Client>>();

export function s3Client(settings: S3ClientSettings): Promise<S3Client> {
  const key = JSON.stringify([settings.region, settings.endpoint ?? '', settings.forcePathStyle, credentialsKey(settings.credentials), settings.maxSockets]);
  return sharedClient(clients, key, async () => {
    const { S3Client } = await s3Sdk();
    return new S3Client({
      region: settings.region,
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      forcePathStyle: settings.forcePathStyle,
      ...(settings.credentials ? { credentials: typeof settings.credentials === 'function' ? settings.credentials : { ...settings.credentials } } : {}),
      // The channel retries transient failures itself, by each operation's deadline; the SDK's own
      // retries run on their own clock and would outlive an FMI deadline.
      maxAttempts: 1,
      // The SDK's default sends uploads as aws-chunked streams with a CRC trailer, which
      // S3-compatible servers (s3rver, older MinIO, Ceph) store as data; checksums only where
      // the API requires them (DeleteObjects) work with every server and with S3 itself.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // The default of 50 sockets would queue the requests of a 64-rank collective behind each other.
      requestHandler: { httpAgent: { keepAlive: true, maxSockets: settings.maxSockets }, httpsAgent: { keepAlive: true, maxSockets: settings.maxSockets } },
    });
  });
}

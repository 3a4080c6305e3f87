import { FmiError } from '@fmi/core';
import type { Storage } from '@google-cloud/storage';

/**
 * One `Storage` client per (project, endpoint) per process. A function instance is reused across
 * invocations (warm starts) and every rank's channel of one process talks to the same service, so
 * they share the client, its auth token cache and its keep-alive sockets.
 *
 * `@google-cloud/storage` is an optional peer dependency, imported on first use only: installing
 * `@fmi/gcp` for its platform or price book must not require the SDK.
 */
const clients = new Map<string, Promise<Storage>>();

export interface StorageClientOptions {
  readonly projectId: string | undefined;
  readonly endpoint: string | undefined;
}

export function storageClient(options: StorageClientOptions): Promise<Storage> {
  const key = `${options.projectId ?? ''}|${options.endpoint ?? ''}`;
  let client = clients.get(key);
  if (!client) {
    client = makeClient(options);
    clients.set(key, client);
    // A failed import must not stay cached: the next open() tries again (and reports again).
    client.catch(() => clients.delete(key));
  }
  return client;
}

async function makeClient(options: StorageClientOptions): Promise<Storage> {
  let sdk: typeof import('@google-cloud/storage');
  try {
    sdk = await import('@google-cloud/storage');
  } catch (cause) {
    throw new FmiError('config', '[gcs] the gcs channel needs @google-cloud/storage — install it: npm install @google-cloud/storage@^7', {
      field: 'channels.gcs',
      channel: 'gcs',
      cause,
    });
  }
  return new sdk.Storage({
    // Always pass a project id when we know one: without it the auth library asks the metadata
    // server, which hangs for seconds off-cloud (and against emulators).
    ...(options.projectId !== undefined ? { projectId: options.projectId } : {}),
    // A custom endpoint (an emulator) turns authentication off in the SDK unless asked otherwise.
    ...(options.endpoint !== undefined ? { apiEndpoint: options.endpoint } : {}),
    // The channel retries itself, bounded by each operation's deadline; the SDK's own retries run
    // on their own clock (up to 600 s), which would outlive an FMI deadline.
    retryOptions: { autoRetry: false },
  });
}

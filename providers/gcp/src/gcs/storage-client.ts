import { importPeerSdk, sharedClient } from '@fmi/core';
import type { Storage } from '@google-cloud/storage';

/**
 * One `Storage` client per (project, endpoint) per process (core's `sharedClient`); the SDK is an
 * optional peer dependency, imported on first use only.
 */
const clients = new Map<string, Promise<Storage>>();

export interface StorageClientOptions {
  readonly projectId: string | undefined;
  readonly endpoint: string | undefined;
}

export function storageClient(options: StorageClientOptions): Promise<Storage> {
  return sharedClient(clients, `${options.projectId ?? ''}|${options.endpoint ?? ''}`, () => makeClient(options));
}

async function makeClient(options: StorageClientOptions): Promise<Storage> {
  const sdk = await importPeerSdk(() => import('@google-cloud/storage'), { channel: 'gcs', packageName: '@google-cloud/storage', range: '^7' });
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

import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { FmiError, importPeerSdk, sharedClient } from '@fmi/core';

/**
 * One `BlobServiceClient` per connection string per process (core's `sharedClient`), shared by
 * every rank's channel in the process and across warm invocations (its keep-alive sockets and
 * pipeline are reused). `@azure/storage-blob` is an optional peer dependency, imported on first use only.
 */
const services = new Map<string, Promise<BlobServiceClient>>();

export async function containerClient(connectionString: string, container: string, field: string): Promise<ContainerClient> {
  const service = await sharedClient(services, connectionString, () => makeService(connectionString, field));
  return service.getContainerClient(container);
}

async function makeService(connectionString: string, field: string): Promise<BlobServiceClient> {
  const sdk = await importPeerSdk(() => import('@azure/storage-blob'), { channel: 'azure-blob', packageName: '@azure/storage-blob', range: '^12' });
  try {
    // The channel retries itself within each operation's deadline; the SDK's retry policy would run
    // on its own clock (4 tries, up to minutes) past an FMI deadline.
    return sdk.BlobServiceClient.fromConnectionString(connectionString, { retryOptions: { maxTries: 1 } });
  } catch (_cause) {
    // The SDK's message may quote the string; ours never does (it holds the account key).
    throw new FmiError(
      'config',
      `[azure-blob] ${field}: the connection string was rejected by @azure/storage-blob — check its AccountName/AccountKey or BlobEndpoint/SharedAccessSignature parts`,
      { field, channel: 'azure-blob' },
    );
  }
}

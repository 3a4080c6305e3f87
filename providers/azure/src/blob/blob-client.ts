import type { ContainerClient } from '@azure/storage-blob';
import { FmiError } from '@fmi/core';

/**
 * One `BlobServiceClient` per connection string per process, shared by every rank's channel in the
 * process and across warm invocations (its keep-alive sockets and pipeline are reused).
 *
 * `@azure/storage-blob` is an optional peer dependency, imported on first use only.
 */
const services = new Map<string, Promise<import('@azure/storage-blob').BlobServiceClient>>();

export async function containerClient(connectionString: string, container: string, field: string): Promise<ContainerClient> {
  let service = services.get(connectionString);
  if (!service) {
    service = makeService(connectionString, field);
    services.set(connectionString, service);
    service.catch(() => services.delete(connectionString));
  }
  return (await service).getContainerClient(container);
}

async function makeService(connectionString: string, field: string): Promise<import('@azure/storage-blob').BlobServiceClient> {
  let sdk: typeof import('@azure/storage-blob');
  try {
    sdk = await import('@azure/storage-blob');
  } catch (cause) {
    throw new FmiError('config', '[azure-blob] the azure-blob channel needs @azure/storage-blob — install it: npm install @azure/storage-blob@^12', {
      field: 'channels.azure-blob',
      channel: 'azure-blob',
      cause,
    });
  }
  try {
    // The channel retries itself within each operation's deadline; the SDK's retry policy would run
    // on its own clock (4 tries, up to minutes) past an FMI deadline.
    return sdk.BlobServiceClient.fromConnectionString(connectionString, { retryOptions: { maxTries: 1 } });
  } catch (_cause) {
    // The SDK's message may quote the string; ours never does (it holds the account key).
    throw new FmiError(
      'config',
      `[azure-blob] ${field}: the connection string was rejected by @azure/storage-blob — check its AccountName/AccountKey or BlobEndpoint/SharedAccessSignature parts`,
      {
        field,
        channel: 'azure-blob',
      },
    );
  }
}

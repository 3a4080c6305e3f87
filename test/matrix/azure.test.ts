import { BlobServiceClient } from '@azure/storage-blob';
import { AzureBlobChannel, DEFAULT_AZURE_PREFIX } from '@fmi/azure';
import { type ConformanceTarget, runConformance } from '@fmi/conformance';
import type { Channel } from '@fmi/core';
import { startAzurite } from '@fmi/tools/azurite-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The `azure-blob` column of the matrix: the whole conformance suite over the Blob Storage channel
 * against azurite 3.35, started here on a free port with its own temp dir.
 *
 * World sizes [1, 2, 3, 5] plus [8] for the fast subset (instead of 1..17 and 64): every rank polls
 * over HTTP and each request costs ~2 ms of client CPU in the SDK; on a loaded 2-core machine the
 * suite's default range takes far beyond the ~3 minutes we allow one column. These still cover a
 * single rank, a power of two, non-powers of two, and the 8-rank fast subset.
 *
 * Polls are capped at 50 ms (200 ms by default): azurite answers in a few ms.
 */
const azurite = await startAzurite();
const CONTAINER = 'fmi-matrix';
const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
await service.getContainerClient(CONTAINER).create();

afterAll(async () => {
  await azurite.stop();
});

function azureTarget(): ConformanceTarget {
  return {
    name: 'azure-blob',
    kind: 'object',
    createEndpoints(size: number): Channel[] {
      return Array.from(
        { length: size },
        () =>
          new AzureBlobChannel({
            container: CONTAINER,
            containerField: 'channels.azure-blob.container',
            connectionString: azurite.connectionString,
            connectionStringField: 'AZURE_STORAGE_CONNECTION_STRING',
            prefix: DEFAULT_AZURE_PREFIX,
            maxPollIntervalMs: 50,
          }),
      );
    },
    // Seen from outside the channel: what the job left in the container.
    async leftovers(job: string): Promise<string[]> {
      const names: string[] = [];
      for await (const blob of service.getContainerClient(CONTAINER).listBlobsFlat({ prefix: `${DEFAULT_AZURE_PREFIX}${job}/` })) names.push(blob.name);
      return names;
    },
    // A vanished function: its endpoint stops answering (closed), without any cleanup.
    async kill(endpoints: Channel[], rank: number): Promise<void> {
      await endpoints[rank]!.close();
    },
    sizes: [1, 2, 3, 5],
    bigSizes: [8],
    timeoutMs: 15_000,
  };
}

describe('matrix: azure-blob (azurite)', () => {
  runConformance({ describe, it, expect, beforeAll, afterAll }, azureTarget());
});

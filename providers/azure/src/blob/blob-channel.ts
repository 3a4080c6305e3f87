import { type ChannelModel, PolledStoreChannel } from '@fmi/core';
import { AZURE_BLOB_MODEL_DEFAULTS } from '../model.js';
import { blobDriver, blobStore } from './blob-driver.js';
import type { ResolvedAzureBlobSettings } from './blob-settings.js';

/**
 * Largest object the channel puts in one request. One Put Blob takes up to 5,000 MiB, but the channel
 * holds an object in memory and uploads it in one request (so the create-only condition covers the
 * whole object): 64 MiB keeps a function's memory spike and one request's duration bounded, and
 * core splits larger payloads.
 */
export const AZURE_BLOB_MAX_OBJECT_BYTES = 64 * 1024 * 1024;

export interface AzureBlobChannelOptions extends ResolvedAzureBlobSettings {
  readonly model?: Partial<ChannelModel>;
}

/**
 * The Azure Blob Storage object channel: core's `PolledStoreChannel` over the blob driver. Blobs are
 * named `${prefix}${job}/${key}` in one container; a waiting `get` polls (Event Grid notifications
 * take seconds and need infrastructure); uploads are create-only (`If-None-Match: *`); every request
 * carries the deadline's abort signal and is retried on 408, 429, 5xx and resets until the
 * deadline, with the SDK's own retries off.
 */
export class AzureBlobChannel extends PolledStoreChannel {
  constructor(options: AzureBlobChannelOptions) {
    const store = blobStore(options);
    super({
      ...options,
      name: 'azure-blob',
      maxObjectBytes: AZURE_BLOB_MAX_OBJECT_BYTES,
      modelDefaults: AZURE_BLOB_MODEL_DEFAULTS,
      store,
      connect: () => blobDriver(options),
    });
  }
}

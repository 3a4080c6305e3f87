import { type ChannelModel, PolledStoreChannel } from '@fmi/core';
import { GCS_MODEL_DEFAULTS } from '../model.js';
import { gcsDriver, gcsStore } from './gcs-driver.js';
import type { ResolvedGcsSettings } from './gcs-settings.js';

/**
 * Largest object the channel puts in one request. Cloud Storage takes objects up to 5 TiB, but the
 * channel holds an object in memory and sends it in one multipart upload: 64 MiB keeps a function's
 * memory spike and one request's duration bounded, and core splits larger payloads into objects of
 * at most this size (one more request per 64 MiB costs nothing next to moving 64 MiB). The local
 * emulator caps request bodies near 130 MB, which this stays under.
 */
export const GCS_MAX_OBJECT_BYTES = 64 * 1024 * 1024;

export interface GcsChannelOptions extends ResolvedGcsSettings {
  /** Overrides of the model defaults (a calibration profile, `model.channels.gcs` in config). */
  readonly model?: Partial<ChannelModel>;
}

/**
 * The Cloud Storage object channel: core's `PolledStoreChannel` over the gcs driver. Objects are
 * named `${prefix}${job}/${key}`; a waiting `get` polls (Cloud Storage has no notification a
 * function could wait on cheaply: Pub/Sub notifications arrive in seconds); writes are create-only
 * (`ifGenerationMatch: 0`); every request is retried on 408, 429, 5xx and connection errors until
 * the operation's deadline, with the SDK's own retries off.
 */
export class GcsChannel extends PolledStoreChannel {
  constructor(options: GcsChannelOptions) {
    super({
      ...options,
      name: 'gcs',
      maxObjectBytes: GCS_MAX_OBJECT_BYTES,
      modelDefaults: GCS_MODEL_DEFAULTS,
      store: gcsStore(options),
      connect: () => gcsDriver(options),
    });
  }
}

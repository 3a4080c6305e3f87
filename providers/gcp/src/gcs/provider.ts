import type { ChannelFactoryContext, ChannelModel, ChannelProvider } from '@fmi/core';
import { GcsChannel } from './gcs-channel.js';
import { type GcsSettings, resolveGcsSettings } from './gcs-settings.js';

/**
 * The `gcs` channel plugin. `create` merges `channels.gcs` from config, the environment
 * (FMI_GCS_BUCKET, FMI_GCS_PREFIX, STORAGE_EMULATOR_HOST, GOOGLE_CLOUD_PROJECT) and these options,
 * later winning, validates them strictly and returns a channel — or `undefined` when nothing
 * mentions the channel. It does no I/O: `open()` loads the SDK and checks the bucket.
 *
 * `options === undefined` means "not configured programmatically"; `{}` means "configured, take the
 * bucket from env or config", and fails with `config` when neither has one.
 */
export function gcsChannelProvider(options?: GcsSettings, optionsPath = 'gcp.gcs'): ChannelProvider {
  return {
    name: 'gcs',
    kind: 'object',
    create(ctx: ChannelFactoryContext): GcsChannel | undefined {
      const settings = resolveGcsSettings({ config: ctx.config.channels?.gcs, env: ctx.env, options, optionsPath });
      if (!settings) return undefined;
      const model = ctx.config.model?.channels?.gcs as Partial<ChannelModel> | undefined;
      return new GcsChannel({ ...settings, ...(model ? { model } : {}) });
    },
  };
}

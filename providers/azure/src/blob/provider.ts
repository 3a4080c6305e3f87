import type { ChannelFactoryContext, ChannelModel, ChannelProvider } from '@fmi/core';
import { AzureBlobChannel } from './blob-channel.js';
import { type AzureBlobSettings, resolveAzureBlobSettings } from './blob-settings.js';

/**
 * The `azure-blob` channel plugin. `create` merges `channels.azure-blob` from config, the environment
 * (FMI_AZURE_CONTAINER, FMI_AZURE_PREFIX, AZURE_STORAGE_CONNECTION_STRING) and these options, later
 * winning, validates them strictly and returns a channel — or `undefined` when nothing mentions the
 * channel. No I/O: `open()` loads the SDK and checks the container.
 */
export function azureBlobChannelProvider(options?: AzureBlobSettings, optionsPath = 'azure.blob'): ChannelProvider {
  return {
    name: 'azure-blob',
    kind: 'object',
    create(ctx: ChannelFactoryContext): AzureBlobChannel | undefined {
      const settings = resolveAzureBlobSettings({ config: ctx.config.channels?.['azure-blob'], env: ctx.env, options, optionsPath });
      if (!settings) return undefined;
      const model = ctx.config.model?.channels?.['azure-blob'] as Partial<ChannelModel> | undefined;
      return new AzureBlobChannel({ ...settings, ...(model ? { model } : {}) });
    },
  };
}

import { type ContainerModule, checkHttpFunctionsOptions, fmiModule, optionChecks } from '@fmi/core';
import { type AzureBlobSettings, checkAzureBlobSettings } from './blob/blob-settings.js';
import { azureBlobChannelProvider } from './blob/provider.js';
import { type AzureFunctionsPlatformOptions, azureFunctionsPlatform } from './functions/platform.js';
import { AZURE_PRICE_BOOK } from './model.js';

/** Options of the Azure provider module. */
export interface AzureOptions {
  /**
   * Settings of the `azure-blob` channel; they win over the environment and `channels.azure-blob`.
   * Left out, the channel is still offered when FMI_AZURE_CONTAINER or `channels.azure-blob` names a container.
   */
  readonly blob?: AzureBlobSettings;
  /** Options of the `azure-functions` platform. */
  readonly functions?: AzureFunctionsPlatformOptions;
}

const AZURE_KEYS = ['blob', 'functions'] as const;

/**
 * The Azure provider module: binds the `azure-blob` channel, the `azure-functions` platform and the
 * Consumption-plan price book. Options are validated here (unknown keys and bad values → `config`
 * naming the field, e.g. `azure.blob.container`); the SDK is not loaded here.
 */
export function azure(options: AzureOptions = {}): ContainerModule {
  const record = optionChecks('azure').record(options, 'azure', AZURE_KEYS);
  const blob = record.blob === undefined ? undefined : checkAzureBlobSettings(record.blob, 'azure.blob');
  const functions = checkHttpFunctionsOptions('azure-functions', record.functions, 'azure.functions');
  return fmiModule({
    channels: [azureBlobChannelProvider(blob, 'azure.blob')],
    platforms: [azureFunctionsPlatform(functions, 'azure.functions')],
    priceBook: AZURE_PRICE_BOOK,
  });
}

/**
 * `@fmi/azure`: Microsoft Azure for FMI — the `azure-blob` object channel (Blob Storage), the
 * `azure-functions` platform that launches ranks as HTTP-triggered Azure Functions, the handler
 * adapter for the v4 programming model, and the Consumption-plan price book. `@azure/storage-blob`
 * is an optional peer dependency, loaded on first use of the channel; nothing here imports an Azure
 * SDK at load time.
 */
export { type AzureOptions, azure } from './azure-module.js';
export { AZURE_BLOB_MAX_OBJECT_BYTES, AzureBlobChannel, type AzureBlobChannelOptions } from './blob/blob-channel.js';
export {
  type AzureBlobSettings,
  checkAzureBlobSettings,
  DEFAULT_AZURE_PREFIX,
  type ResolvedAzureBlobSettings,
  resolveAzureBlobSettings,
} from './blob/blob-settings.js';
export { azureBlobChannelProvider } from './blob/provider.js';
export {
  type AzureHttpRequest,
  type AzureHttpResponse,
  type AzureInvocationContext,
  type AzureRankHandler,
  type FmiAzureHandlerOptions,
  fmiAzureHandler,
} from './functions/handler.js';
export { type AzureFunctionsPlatformOptions, azureFunctionsPlatform } from './functions/platform.js';
export { AZURE_BLOB_MODEL_DEFAULTS, AZURE_PRICE_BOOK } from './model.js';

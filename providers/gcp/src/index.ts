/**
 * `@fmi/gcp`: Google Cloud for FMI — the `gcs` object channel (Cloud Storage), the `gcp-functions`
 * platform that launches ranks as HTTP Cloud Functions, the handler adapter for those functions, and
 * the Cloud Functions price book. `@google-cloud/storage` is an optional peer dependency, loaded on
 * first use of the channel; nothing here imports a Google SDK at load time.
 */

export {
  type FmiHttpFunctionOptions,
  fmiHttpFunction,
  type HttpFunctionRequest,
  type HttpFunctionResponse,
  type RankHandler,
} from './functions/http-function.js';
export { type CloudFunctionsPlatformOptions, cloudFunctionsPlatform } from './functions/platform.js';
export { type GcpOptions, gcp } from './gcp-module.js';
export { GCS_MAX_OBJECT_BYTES, GcsChannel, type GcsChannelOptions } from './gcs/gcs-channel.js';
export { checkGcsSettings, DEFAULT_GCS_PREFIX, type GcsSettings, type ResolvedGcsSettings, resolveGcsSettings } from './gcs/gcs-settings.js';
export { gcsChannelProvider } from './gcs/provider.js';
export { cloudFunctionsGen1PriceBook, GCP_PRICE_BOOK, GCS_MODEL_DEFAULTS, GEN1_MEMORY_TIERS_MIB } from './model.js';

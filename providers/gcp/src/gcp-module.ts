import { type ContainerModule, checkHttpFunctionsOptions, fmiModule, optionChecks } from '@fmi/core';
import { type CloudFunctionsPlatformOptions, cloudFunctionsPlatform } from './functions/platform.js';
import { checkGcsSettings, type GcsSettings } from './gcs/gcs-settings.js';
import { gcsChannelProvider } from './gcs/provider.js';
import { cloudFunctionsGen1PriceBook, GEN1_MEMORY_TIERS_MIB } from './model.js';

/** Options of the GCP provider module. */
export interface GcpOptions {
  /**
   * Settings of the `gcs` channel; they win over the environment and `channels.gcs` in config. Left
   * out, the channel is still offered when FMI_GCS_BUCKET or `channels.gcs` names a bucket.
   */
  readonly gcs?: GcsSettings;
  /** Options of the `gcp-functions` platform. */
  readonly functions?: CloudFunctionsPlatformOptions;
  /** Memory tier of the functions, MiB, for the price book (Cloud Functions gen1 bills CPU by tier); default 2048. */
  readonly functionMemoryMiB?: number;
}

const GCP_KEYS = ['gcs', 'functions', 'functionMemoryMiB'] as const;
const check = optionChecks('gcp');

/**
 * The GCP provider module: binds the `gcs` channel, the `gcp-functions` platform and the Cloud
 * Functions price book. Options are validated here, before any rank starts: unknown keys and bad
 * values fail with `config` naming the field (`gcp.gcs.bucket`, ...). The SDK is not loaded here.
 */
export function gcp(options: GcpOptions = {}): ContainerModule {
  const record = check.record(options, 'gcp', GCP_KEYS);
  const gcs = record.gcs === undefined ? undefined : checkGcsSettings(record.gcs, 'gcp.gcs');
  const functions = checkHttpFunctionsOptions('gcp-functions', record.functions, 'gcp.functions');
  const memory = record.functionMemoryMiB ?? 2048;
  if (typeof memory !== 'number' || !GEN1_MEMORY_TIERS_MIB.includes(memory)) {
    throw check.error('gcp.functionMemoryMiB', `expected a Cloud Functions memory tier (${GEN1_MEMORY_TIERS_MIB.join(', ')}), got ${String(memory)}`);
  }
  return fmiModule({
    channels: [gcsChannelProvider(gcs, 'gcp.gcs')],
    platforms: [cloudFunctionsPlatform(functions, 'gcp.functions')],
    priceBook: cloudFunctionsGen1PriceBook(memory),
  });
}

import { type ChannelModel, channelModel, type PriceBook } from '@fmi/core';
import { DEFAULT_MAX_POLL_INTERVAL_MS } from './blob/blob-settings.js';

/**
 * Default model of the `azure-blob` channel (ms, bytes per ms, US$).
 *
 * Latency and bandwidth: unmeasured from Azure Functions by us; we take FMI's S3-from-Lambda fit
 * (40.4 ms per request, 50 MB/s per rank; ICS 2023) — Blob Storage is likewise a regional HTTPS
 * object store. Replace with `fmi calibrate` figures for a real deployment.
 *
 * Prices (hot tier, LRS, pay-as-you-go list prices; verify for your region): write operations
 * (Put Blob, List Blobs) $0.055 per 10,000; read operations $0.0044 per 10,000; deletes free.
 * Transfer within a region is free.
 */
export const AZURE_BLOB_MODEL_DEFAULTS: ChannelModel = channelModel({
  latencyMs: 40,
  bandwidthBytesPerMs: 50_000,
  concurrency: 8,
  pollDelayMs: DEFAULT_MAX_POLL_INTERVAL_MS / 2,
  pricePerRequest: { put: 0.055 / 10_000, list: 0.055 / 10_000, get: 0.0044 / 10_000, delete: 0 },
  pricePerByte: 0,
  pricePerHour: 0,
});

/** Azure Functions Consumption plan: $0.000016 per GB-second (Azure's GB is 2^30 bytes) and $0.20 per million executions. */
export const AZURE_PRICE_BOOK: PriceBook = {
  name: 'azure-functions-consumption',
  functionPerGiBSecond: 0.000016,
  functionPerRequest: 0.0000002,
};

import { type ChannelModel, channelModel, type PriceBook } from '@fmi/core';
import { DEFAULT_MAX_POLL_INTERVAL_MS } from './gcs/gcs-settings.js';

/**
 * Default model of the `gcs` channel, in the units of `ChannelModel` (ms, bytes per ms, US$).
 *
 * Latency and bandwidth: we have no measurement of Cloud Storage from Cloud Functions of our own,
 * so we take FMI's S3-from-Lambda fit (40.4 ms per request, 50 MB/s per rank; ICS 2023): both are
 * regional object stores reached over HTTPS with time-to-first-byte in the tens of ms for small
 * objects. Replace with `fmi calibrate` figures for a real deployment.
 *
 * Polling: a waiting `get` polls with backoff up to `maxPollIntervalMs` (200 ms by default); an
 * object that lands during a wait is seen on average half an interval later.
 *
 * Prices (Standard storage, 2024 list prices; verify before quoting): class A operations (insert,
 * list) $0.005 per 1,000; class B (get) $0.0004 per 1,000; deletes are free. Egress within a
 * region is free, so nothing per byte.
 */
export const GCS_MODEL_DEFAULTS: ChannelModel = channelModel({
  latencyMs: 40,
  bandwidthBytesPerMs: 50_000,
  concurrency: 8,
  pollDelayMs: DEFAULT_MAX_POLL_INTERVAL_MS / 2,
  pricePerRequest: { put: 0.005 / 1000, list: 0.005 / 1000, get: 0.0004 / 1000, delete: 0 },
  pricePerByte: 0,
  pricePerHour: 0,
});

/** Cloud Functions (1st gen) memory tiers and the CPU clock that comes with each, GHz. */
const GEN1_CPU_GHZ: Readonly<Record<number, number>> = { 128: 0.2, 256: 0.4, 512: 0.8, 1024: 1.4, 2048: 2.4, 4096: 4.8, 8192: 4.8 };
export const GEN1_MEMORY_TIERS_MIB: readonly number[] = Object.keys(GEN1_CPU_GHZ).map(Number);

/**
 * Price book of Cloud Functions (1st gen) at one memory size. Google bills memory
 * ($0.0000025 per GB-second) and CPU ($0.00001 per GHz-second) separately, and the CPU clock is
 * fixed by the memory tier; `PriceBook` has one price per GiB-second, so the CPU part is folded in
 * for the chosen tier: 2 GiB (2.4 GHz) costs 0.0000025 + 2.4 / 2 × 0.00001 = $0.0000145 per
 * GiB-second. Invocations: $0.40 per million. (Google's "GB" here is 2^30 bytes.)
 */
export function cloudFunctionsGen1PriceBook(memoryMiB = 2048): PriceBook {
  const ghz = GEN1_CPU_GHZ[memoryMiB];
  if (ghz === undefined)
    throw new RangeError(`[fmi] [gcp] ${memoryMiB} MiB is not a Cloud Functions (1st gen) memory tier (${GEN1_MEMORY_TIERS_MIB.join(', ')})`);
  const gib = memoryMiB / 1024;
  return {
    name: `gcp-cloud-functions-gen1-${memoryMiB}mib`,
    functionPerGiBSecond: 0.0000025 + (ghz / gib) * 0.00001,
    functionPerRequest: 0.0000004,
  };
}

/** The default GCP price book: Cloud Functions (1st gen) at 2 GiB, the memory size core's cost model assumes by default. */
export const GCP_PRICE_BOOK: PriceBook = cloudFunctionsGen1PriceBook(2048);

import { runObjectBenchProgram } from '@fmi/core/testing';
import { AzureBlobChannel } from './blob/blob-channel.js';
import { DEFAULT_AZURE_PREFIX, DEFAULT_MAX_POLL_INTERVAL_MS } from './blob/blob-settings.js';

/**
 * Per-operation latency and request counts of the azure-blob channel: core's `benchObjectChannel`,
 * the same measurement as @fmi/gcp's bench, so the two columns compare. Puts are create-only
 * uploads (If-None-Match: *).
 *
 * Usage: `node dist/bench.js --container C [--rounds 3] [--max-poll-ms 200]` with AZURE_STORAGE_CONNECTION_STRING set.
 */
runObjectBenchProgram(import.meta.url, (flag) => {
  const container = flag('--container') ?? process.env.FMI_AZURE_CONTAINER;
  const connectionString = process.env.AZURE_STORAGE_CONNECTION_STRING;
  if (!container || !connectionString) return '[fmi] [azure-blob] bench: give --container (or FMI_AZURE_CONTAINER) and set AZURE_STORAGE_CONNECTION_STRING';
  const settings = { container, containerField: '--container', connectionString, connectionStringField: 'AZURE_STORAGE_CONNECTION_STRING' };
  const maxPollIntervalMs = Number(flag('--max-poll-ms') ?? DEFAULT_MAX_POLL_INTERVAL_MS);
  return {
    title: `azure-blob channel, container ${container}`,
    make: () => new AzureBlobChannel({ ...settings, prefix: DEFAULT_AZURE_PREFIX, maxPollIntervalMs }),
  };
});

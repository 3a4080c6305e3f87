import { runObjectBenchProgram } from '@fmi/core/testing';
import { GcsChannel } from './gcs/gcs-channel.js';
import { DEFAULT_GCS_PREFIX, DEFAULT_MAX_POLL_INTERVAL_MS } from './gcs/gcs-settings.js';

/**
 * Per-operation latency and request counts of the gcs channel (core's `benchObjectChannel`: put,
 * get, a waiting get's recv, list and delete of 8 B / 64 KiB / 1 MiB objects).
 *
 * Usage: `node dist/bench.js --bucket B [--endpoint http://127.0.0.1:P] [--project P] [--rounds 3] [--max-poll-ms 200]`
 * (endpoint default: STORAGE_EMULATOR_HOST).
 */
runObjectBenchProgram(import.meta.url, (flag) => {
  const bucket = flag('--bucket') ?? process.env.FMI_GCS_BUCKET;
  const endpoint = flag('--endpoint') ?? process.env.STORAGE_EMULATOR_HOST;
  if (!bucket) return '[fmi] [gcs] bench: give --bucket (or FMI_GCS_BUCKET)';
  const projectId = flag('--project') ?? process.env.GOOGLE_CLOUD_PROJECT ?? (endpoint ? 'fmi-emulator' : undefined);
  const maxPollIntervalMs = Number(flag('--max-poll-ms') ?? DEFAULT_MAX_POLL_INTERVAL_MS);
  return {
    title: `gcs channel at ${endpoint ?? 'https://storage.googleapis.com'}, bucket ${bucket}`,
    make: () => new GcsChannel({ bucket, bucketField: '--bucket', prefix: DEFAULT_GCS_PREFIX, projectId, endpoint, maxPollIntervalMs }),
  };
});

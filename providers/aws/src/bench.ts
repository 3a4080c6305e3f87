import type { ChannelStats, ObjectChannel } from '@fmi/core';
import { runObjectBenchProgram } from '@fmi/core/testing';
import { DynamoDbChannel } from './dynamodb/dynamodb-channel.js';
import { resolveDynamoDbSettings } from './dynamodb/dynamodb-settings.js';
import { S3Channel } from './s3/s3-channel.js';
import { resolveS3Settings } from './s3/s3-settings.js';

/**
 * Per-operation latency and request counts of the s3 and dynamodb channels (core's
 * `benchObjectChannel`: put, get, a waiting get's recv, list and delete of 8 B / 64 KiB / 1 MiB
 * objects), the same measurement as @fmi/gcp's and @fmi/azure's benches, so the columns compare.
 *
 * Usage: `node dist/bench.js --channel s3 --bucket B [--endpoint http://127.0.0.1:P] [--rounds 3]`
 *    or: `node dist/bench.js --channel dynamodb --table T [--endpoint http://127.0.0.1:P] [--rounds 3]`
 * (endpoint default: FMI_S3_ENDPOINT / FMI_DYNAMODB_ENDPOINT; credentials: the standard AWS chain,
 * e.g. AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER for s3rver). The dynamodb bench
 * creates the table when it is missing.
 */
runObjectBenchProgram(import.meta.url, (flag) => {
  const channel = flag('--channel') ?? 's3';
  const endpoint = flag('--endpoint');
  if (channel === 's3') {
    const bucket = flag('--bucket') ?? process.env.FMI_S3_BUCKET;
    if (!bucket) return '[fmi] [s3] bench: give --bucket (or FMI_S3_BUCKET)';
    const settings = resolveS3Settings({ options: { bucket, ...(endpoint ? { endpoint } : {}) }, env: process.env });
    if (!settings) return '[fmi] [s3] bench: no S3 settings';
    return {
      title: `s3 channel at ${settings.endpoint ?? `S3 in ${settings.region}`}, bucket ${bucket}`,
      make: () => countingRequests(new S3Channel(settings)),
    };
  }
  if (channel === 'dynamodb') {
    const table = flag('--table') ?? process.env.FMI_DYNAMODB_TABLE;
    if (!table) return '[fmi] [dynamodb] bench: give --table (or FMI_DYNAMODB_TABLE)';
    const settings = resolveDynamoDbSettings({ options: { table, createTable: true, ...(endpoint ? { endpoint } : {}) }, env: process.env });
    if (!settings) return '[fmi] [dynamodb] bench: no DynamoDB settings';
    return {
      title: `dynamodb channel at ${settings.endpoint ?? `DynamoDB in ${settings.region}`}, table ${table}`,
      make: () => countingRequests(new DynamoDbChannel(settings)),
    };
  }
  return `[fmi] bench: --channel is s3 or dynamodb, got "${channel}"`;
});

/**
 * The bench counts requests from `PolledStoreChannel`'s counters (puts, gets that found the object,
 * polls that did not, list pages, deletes, retries). The AWS channels count their requests by
 * price class in `stats().requests` instead (their `gets` include misses, which `polls` counts
 * again): this view hands the bench their total as the one counter it adds up.
 */
function countingRequests(channel: ObjectChannel): ObjectChannel {
  return new Proxy(channel, {
    get(target, property) {
      if (property === 'stats') return (): ChannelStats => ({ puts: totalRequests(target.stats?.()) });
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function totalRequests(stats: ChannelStats | undefined): number {
  const requests = (stats?.requests ?? {}) as Record<string, number>;
  const retries = typeof stats?.retries === 'number' ? stats.retries : 0;
  return Object.values(requests).reduce((sum, n) => sum + n, retries);
}

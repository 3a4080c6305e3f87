import { BlobServiceClient } from '@azure/storage-blob';
import { azure } from '@fmi/azure';
import { type ContainerModule, connect } from '@fmi/core';
import { runKmeans } from '@fmi/examples';
import { gcp } from '@fmi/gcp';
import { selfHosted } from '@fmi/self-hosted';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { startAzurite } from '../../tools/src/azurite-server.js';
import { startGcsEmulator } from '../../tools/src/gcs-emulator.js';

/**
 * One program — the k-means example of @fmi/examples (bcast of the initial centroids, one
 * allreduce per epoch, barriers inside close) — runs unchanged over every object channel we can
 * start here: gcs (firebase-tools emulator), azure-blob (azurite), s3 (s3rver) and dynamodb
 * (dynalite) when @fmi/aws exports aws(), and redis from the global setup. Only the provider module
 * and the configuration differ (`channel` forces the store, `channels.<name>` says where it is),
 * and every store must give the same centroids, inertia and purity as every other.
 */
process.env.METADATA_SERVER_DETECTION = 'none';

const SIZE = 4;
const PARAMS = { samples: 800, k: 5, epochs: 3, pool: 4, seed: 3 } as const;

interface Store {
  readonly name: string;
  readonly modules: () => ContainerModule[];
  readonly config: Record<string, unknown>;
  readonly env?: Record<string, string>;
}

const stops: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
});

const stores: Store[] = [];
const skipped: Array<{ name: string; reason: string }> = [];

const gcs = await startGcsEmulator({ projectId: 'fmi-same' });
stops.push(() => gcs.stop());
stores.push({
  name: 'gcs',
  modules: () => [gcp()],
  config: { channel: 'gcs', channels: { gcs: { bucket: 'fmi-same', endpoint: gcs.url, projectId: gcs.projectId, maxPollIntervalMs: 50 } } },
});

const azurite = await startAzurite();
stops.push(() => azurite.stop());
await BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('fmi-same').create();
stores.push({
  name: 'azure-blob',
  modules: () => [azure({ blob: { connectionString: azurite.connectionString } })],
  config: { channel: 'azure-blob', channels: { 'azure-blob': { container: 'fmi-same', maxPollIntervalMs: 50 } } },
});

// @fmi/aws is written alongside this provider; use it when it is there.
const awsModule = (await import('@fmi/aws').catch(() => undefined)) as { aws?: (options?: unknown) => ContainerModule } | undefined;
if (awsModule?.aws) {
  const { startS3rver } = await import('../../tools/src/s3rver-server.js');
  const { startDynalite } = await import('../../tools/src/dynalite-server.js');
  const s3 = await startS3rver({ buckets: ['fmi-same'] });
  stops.push(() => s3.stop());
  const dynamo = await startDynalite();
  stops.push(() => dynamo.stop());
  const aws = awsModule.aws;
  stores.push({
    name: 's3',
    modules: () => [aws({ region: 'us-east-1', credentials: s3.credentials })],
    config: { channel: 's3', channels: { s3: { bucket: 'fmi-same', endpoint: s3.endpoint, forcePathStyle: true } } },
  });
  stores.push({
    name: 'dynamodb',
    modules: () => [aws({ region: 'us-east-1', credentials: dynamo.credentials })],
    config: { channel: 'dynamodb', channels: { dynamodb: { table: 'fmi-same', endpoint: dynamo.endpoint, createTable: true } } },
  });
} else {
  skipped.push({ name: 's3, dynamodb', reason: '@fmi/aws does not export aws() in this checkout' });
}

const redisUrl = inject('redisUrl') as string | undefined;
if (redisUrl) {
  stores.push({ name: 'redis', modules: () => [selfHosted()], config: { channel: 'redis', channels: { redis: { url: redisUrl } } } });
} else {
  skipped.push({ name: 'redis', reason: "the global setup provides no 'redisUrl'" });
}

async function runOn(store: Store) {
  const job = `same-${store.name}-${process.pid.toString(36)}-${Date.now().toString(36)}`;
  return Promise.all(
    Array.from({ length: SIZE }, async (_, rank) => {
      const comm = await connect({ rank, size: SIZE, job, modules: store.modules(), config: store.config, env: store.env ?? {}, timeoutMs: 30_000 });
      try {
        const result = await runKmeans(comm, PARAMS);
        const used = Object.entries(comm.stats().channels)
          .filter(([, use]) => use.calls > 0)
          .map(([name]) => name);
        return { result, used };
      } finally {
        await comm.close();
      }
    }),
  );
}

describe('the same k-means program over every object store', () => {
  const outcomes = new Map<string, Awaited<ReturnType<typeof runOn>>>();

  for (const store of stores) {
    it(`${store.name}: ${SIZE} ranks run runKmeans to the end, on ${store.name} only, and agree with each other`, async () => {
      const ranks = await runOn(store);
      outcomes.set(store.name, ranks);
      for (const { used } of ranks) expect(used).toEqual([store.name]);
      const first = ranks[0]!.result;
      for (const { result } of ranks) {
        expect(Array.from(result.centroids)).toEqual(Array.from(first.centroids));
        expect(result.inertiaHistory).toEqual(first.inertiaHistory);
      }
      expect(first.inertiaHistory).toHaveLength(PARAMS.epochs);
    }, 180_000);
  }
  for (const { name, reason } of skipped) it.skip(`${name} — skipped: ${reason}`, () => {});

  it('every store gave the same clustering: equal purity, centroids and inertia up to summation order', () => {
    const names = stores.map((s) => s.name).filter((n) => outcomes.has(n));
    expect(names).toEqual(stores.map((s) => s.name));
    const reference = outcomes.get(names[0]!)![0]!.result;
    const close = (a: number, b: number) => Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(a), Math.abs(b));
    // One row per store, all compared at once, so a failure shows every store that disagrees.
    const rows = names.map((name) => {
      const result = outcomes.get(name)![0]!.result;
      return {
        name,
        // Same clustering: purity counts labels per cluster, so an equal purity history means the
        // same assignments every epoch.
        purity: result.purityHistory,
        finalPurity: result.finalPurity,
        // Bit-equal where the same algorithm ran; stores with an atomic counter or native waits
        // (redis, dynamodb) let the policy pick another allreduce, which sums in another order:
        // last-bit differences, hence a relative bound of 1e-12 instead of equality.
        centroidsOff: Array.from(result.centroids).filter((v, i) => !close(v, reference.centroids[i]!)).length,
        inertiaOff: result.inertiaHistory.filter((v, i) => !close(v, reference.inertiaHistory[i]!)).length,
      };
    });
    expect(rows).toEqual(names.map((name) => ({ name, purity: reference.purityHistory, finalPurity: reference.finalPurity, centroidsOff: 0, inertiaOff: 0 })));
  });
});

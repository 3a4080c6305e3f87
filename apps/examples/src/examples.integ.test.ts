import { randomUUID } from 'node:crypto';
import { runWorld } from '@fmi/core/testing';
import { describe, expect, inject, it } from 'vitest';
import { loadMnist } from './data/mnist.js';
import { runHelloCollectives } from './hello-collectives.js';
import { kmeansReference, runKmeans } from './kmeans.js';
import { providerModules } from './provider-modules.js';
import { elementRelativeError } from './testing/worlds.js';

declare module 'vitest' {
  interface ProvidedContext {
    redisUrl: string;
  }
}

const url = inject('redisUrl');

/**
 * The examples as a user runs them: the modules of `providerModules()` configured only by the
 * environment (here FMI_REDIS_URL pointing at the test run's real redis-server), ranks as tasks of
 * this process. No in-memory channel is involved.
 */
function overRedis() {
  return { job: `ex-${randomUUID()}`, env: { FMI_REDIS_URL: url }, channels: () => [] };
}

describe('examples over a real Redis server', () => {
  it('k-means on 4 ranks equals the single-process reference', async () => {
    const options = { samples: 1000, k: 10, epochs: 3, seed: 11 };
    const modules = await providerModules({ env: { FMI_REDIS_URL: url } });
    const results = await runWorld(4, (comm) => runKmeans(comm, options), { ...overRedis(), modules });
    expect(results[0].centroids).toEqual(results[3].centroids);
    const reference = kmeansReference((await loadMnist({ samples: options.samples, seed: options.seed })).train, options);
    expect(elementRelativeError(results[0].centroids, reference.centroids)).toBeLessThan(1e-9);
    expect(results[0].purityHistory).toEqual(reference.purityHistory);
  });

  it('hello-collectives passes every check on 3 ranks', async () => {
    const modules = await providerModules({ env: { FMI_REDIS_URL: url } });
    const results = await runWorld(
      3,
      async (comm) => {
        expect(comm.channels).toEqual(['redis']);
        return runHelloCollectives(comm);
      },
      { ...overRedis(), modules },
    );
    for (const r of results) expect(r.checks.filter((c) => !c.ok)).toEqual([]);
  });
});

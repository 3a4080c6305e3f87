import { runConformance } from '@fmi/conformance';
import { RedisChannel } from '@fmi/self-hosted';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

// The Redis column: a real redis-server, started once for the whole run by tools/src/vitest-global-setup.ts.
const url = inject('redisUrl');

/** Keys a job left behind, found with SCAN (never KEYS) on the job's prefix. */
async function leftovers(job: string): Promise<string[]> {
  const client = createClient({ url });
  await client.connect();
  try {
    const found: string[] = [];
    for await (const keys of client.scanIterator({ MATCH: `fmi:${job}/*`, COUNT: 1000 })) found.push(...keys);
    return found;
  } finally {
    client.destroy();
  }
}

describe('matrix: redis', () => {
  runConformance(
    { describe, it, expect, beforeAll, afterAll },
    {
      name: 'redis',
      kind: 'object',
      createEndpoints: (size) => Array.from({ length: size }, () => new RedisChannel({ url })),
      leftovers,
      kill: (endpoints, rank) => endpoints[rank].close(),
    },
  );
});

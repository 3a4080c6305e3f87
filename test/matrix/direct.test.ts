import { runConformance } from '@fmi/conformance';
import { type Channel, consoleLogger, resolveConfigSync, systemClock } from '@fmi/core';
import { deriveJobSecret, directChannelProvider, generateServerKey, type RendezvousServer, startRendezvousServer } from '@fmi/self-hosted';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The direct column: real TCP on loopback through one real rendezvous server for the whole file;
// every job gets its own secret derived from the server key, as `fmi run` does.
const serverKey = generateServerKey();
let server: RendezvousServer | undefined;
const config = resolveConfigSync({ env: {} });

async function rendezvous(): Promise<string> {
  server ??= await startRendezvousServer({ host: '127.0.0.1', port: 0, serverKey });
  return `tcp://127.0.0.1:${server.address.port}`;
}

afterAll(async () => {
  await server?.close();
});

describe('matrix: direct', () => {
  runConformance(
    { describe, it, expect, beforeAll, afterAll },
    {
      name: 'direct',
      kind: 'message',
      async createEndpoints(size, job) {
        const provider = directChannelProvider({ rendezvous: await rendezvous(), secret: deriveJobSecret(serverKey, job) });
        return Array.from({ length: size }, (_, rank) => {
          const ch = provider.create({ rank, size, job, secret: undefined, config, env: {}, logger: consoleLogger('silent'), clock: systemClock });
          if (!ch) throw new Error('direct channel not created although a rendezvous address was given');
          return ch as Channel;
        });
      },
      kill: (endpoints, rank) => endpoints[rank].close(),
    },
  );
});

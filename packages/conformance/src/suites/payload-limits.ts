import { makeData, seedOf } from '../random.js';
import { Problems } from '../reference.js';
import type { Runner } from '../runner.js';
import type { ResolvedTarget } from '../target.js';
import { withWorld } from '../world.js';
import { pick } from './collectives.js';
import { errorOf, NO_ERROR, summary } from './errors.js';

/**
 * Payloads above the channel's `maxPayloadBytes` (2.5 × the limit, at most 4 MiB). Core may split
 * them or refuse them with `unsupported` (the policy offers no channel that can carry them); what
 * it must never do is hand a channel more than it declares (a `channel`/`invalid-argument` error
 * from the channel), corrupt the data, or hang. Every rank must reach the same outcome.
 */
export function payloadLimitSuites(runner: Runner, target: ResolvedTarget): void {
  const { describe, it, expect } = runner;
  describe('payloads above maxPayloadBytes', () => {
    const size = pick(target.sizes, [3])[0];
    it(
      `size ${size}: send, bcast, allreduce, allgather and bcastValue of 2.5 × maxPayloadBytes (at most 4 MiB) are moved intact or refused with unsupported`,
      async () => {
        const results = await withWorld(target, size, async (comm, world) => {
          const p = new Problems();
          const outcomes: Record<string, string> = {};
          const attempt = async (name: string, fn: () => Promise<void>) => {
            const err = await errorOf(fn);
            outcomes[name] = err === NO_ERROR ? 'ok' : summary(err);
          };
          const max = world.endpoints[0].capabilities.maxPayloadBytes;
          const bytes = Math.min(Math.floor(max * 2.5) + 13, 4 * 1024 * 1024);
          const n = Math.floor(bytes / 8);
          const root = comm.size - 1;
          const rootData = makeData('float64', n, seedOf('limit-bcast', n));
          await attempt('bcast', async () => {
            const got = await comm.bcast(comm.rank === root ? rootData : new Float64Array(n), root);
            p.check(`bcast of ${n * 8} bytes`, got, rootData);
          });
          await attempt('allreduce', async () => {
            const want = new Int32Array(n);
            for (let r = 0; r < comm.size; r++) {
              const x = makeData('int32', n, seedOf('limit-allreduce', r)) as Int32Array;
              for (let i = 0; i < n; i++) want[i] = (want[i] + x[i]) | 0;
            }
            p.check(`allreduce of ${n * 4} bytes`, await comm.allreduce(makeData('int32', n, seedOf('limit-allreduce', comm.rank)), 'sum'), want);
          });
          await attempt('allgather', async () => {
            const part = Math.ceil(bytes / comm.size);
            const all = await comm.allgather(makeData('uint8', part, seedOf('limit-allgather', comm.rank)));
            const wantAll = new Uint8Array(part * comm.size);
            for (let r = 0; r < comm.size; r++) wantAll.set(makeData('uint8', part, seedOf('limit-allgather', r)) as Uint8Array, r * part);
            p.check(`allgather of ${part * comm.size} bytes`, all, wantAll);
          });
          if (comm.size >= 2) {
            await attempt('send', async () => {
              const dest = (comm.rank + 1) % comm.size;
              const src = (comm.rank + comm.size - 1) % comm.size;
              const msg = (r: number) => makeData('uint8', bytes, seedOf('limit-send', r));
              const [, recvd] = await Promise.all([comm.send(msg(comm.rank), dest), comm.recv(new Uint8Array(bytes), src)]);
              p.check(`send of ${bytes} bytes`, recvd, msg(src));
            });
          }
          await attempt('bcastValue', async () => {
            const text = 'x'.repeat(bytes);
            const v = await comm.bcastValue(comm.rank === 0 ? { text } : undefined, 0);
            p.expectTrue(`bcastValue of ${bytes} characters came back different`, v.text === text);
          });
          return { problems: p.list, outcomes };
        });
        expect(results.flatMap((r) => r.problems)).toEqual([]);
        // The same outcome on every rank, and only `ok` or `unsupported`.
        const bad = results.flatMap((r, rank) =>
          Object.entries(r.outcomes)
            .filter(([name, kind]) => (kind !== 'ok' && kind !== 'unsupported') || kind !== results[0].outcomes[name])
            .map(([name, kind]) => `rank ${rank}: ${name} → ${kind}`),
        );
        expect(bad).toEqual([]);
      },
      target.testTimeoutMs,
    );
  });
}

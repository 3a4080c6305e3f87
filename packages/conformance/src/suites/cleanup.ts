import type { Runner } from '../runner.js';
import { skipWithReason } from '../runner.js';
import type { ResolvedTarget } from '../target.js';
import { freshJob, withWorld } from '../world.js';
import { pick } from './collectives.js';

/** Object channels: close() deletes everything the ranks created; nothing is left under the job. */
export function cleanupSuites(runner: Runner, target: ResolvedTarget): void {
  const { describe, it, expect } = runner;
  describe('cleanup', () => {
    if (target.kind !== 'object') {
      skipWithReason(runner, 'nothing left in the store after close()', 'message channels keep no objects');
      return;
    }
    if (!target.leftovers) {
      skipWithReason(runner, 'nothing left in the store after close()', 'the target gives no leftovers() to list what a job left');
      return;
    }
    for (const size of pick(target.sizes, [1, 4, 9])) {
      it(
        `size ${size}: every operation, a sub-communicator, values and messages, then close(): no object left`,
        async () => {
          const job = freshJob(`${target.name}-cleanup`);
          await withWorld(
            target,
            size,
            async (comm) => {
              const n = comm.size;
              const x = new Float64Array([comm.rank, 1, 2]);
              await comm.bcast(x.slice(), 0);
              await comm.barrier();
              await comm.gather(x, n - 1);
              await comm.scatter(comm.rank === 0 ? new Float64Array(3 * n) : undefined, new Float64Array(3), 0);
              await comm.reduce(x, 'sum', 0);
              await comm.allreduce(x, 'max');
              await comm.allreduce(new Float64Array(20_000), 'sum');
              await comm.scan(x, 'sum');
              await comm.exscan(x, 'sum');
              await comm.allgather(x);
              await comm.alltoall(new Float64Array(2 * n));
              await comm.reduceScatter(new Float64Array(2 * n), 'sum');
              await comm.bcastValue(comm.rank === 0 ? { a: 1 } : undefined, 0);
              await comm.gatherValues(comm.rank, 0);
              await comm.allgatherValues(comm.rank);
              if (n > 1) {
                const dest = (comm.rank + 1) % n;
                const src = (comm.rank + n - 1) % n;
                await Promise.all([comm.sendValue('hi', dest), comm.recvValue(src)]);
                await Promise.all([comm.send(x, dest, { tag: 3 }), comm.recv(new Float64Array(3), src, { tag: 3 })]);
              }
              const sub = await comm.split(comm.rank % 2, 0);
              await sub?.allreduce(x, 'sum');
              await sub?.close();
            },
            { job, checkLeftovers: false },
          );
          expect(await target.leftovers!(job)).toEqual([]);
        },
        target.testTimeoutMs,
      );
    }
  });
}

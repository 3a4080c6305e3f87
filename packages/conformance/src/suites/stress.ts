import { COLLECTIVE_NAMES, type CollectiveCall, type CollectiveName, newMemo, REDUCING, runCall } from '../collective-calls.js';
import { ALL_DTYPES, makeData, Rng, seedOf } from '../random.js';
import { Problems } from '../reference.js';
import type { Runner } from '../runner.js';
import type { ResolvedTarget } from '../target.js';
import { withWorld } from '../world.js';
import { opsFor, pick } from './collectives.js';

/** A seeded random call (the same on every rank: the seed does not involve the rank). */
function randomCall(rng: Rng, size: number): CollectiveCall {
  const coll = rng.pick(COLLECTIVE_NAMES) as CollectiveName;
  const dtype = rng.pick(ALL_DTYPES);
  const opName = REDUCING.has(coll) ? rng.pick(opsFor(dtype)) : undefined;
  return { coll, dtype, op: opName, opName, root: rng.int(0, size - 1), count: rng.int(1, 9), variant: rng.float() < 0.3 ? 'out' : 'plain' };
}

/** Many back-to-back and concurrent collectives: sequence numbers, keys and tags must never collide. */
export function stressSuites(runner: Runner, target: ResolvedTarget): void {
  const { describe, it, expect } = runner;
  describe('many collectives', () => {
    for (const size of pick(target.sizes, [2, 5, 17])) {
      it(
        `size ${size}: 300 back-to-back mixed collectives, barriers and tagged point-to-point messages`,
        async () => {
          const memo = newMemo();
          const problems = await withWorld(target, size, async (comm) => {
            const p = new Problems();
            const rng = new Rng(seedOf('back-to-back', size));
            const next = (comm.rank + 1) % comm.size;
            const prev = (comm.rank + comm.size - 1) % comm.size;
            for (let i = 0; i < 300; i++) {
              const roll = rng.float();
              if (roll < 0.08) {
                await comm.barrier();
              } else if (roll < 0.18) {
                // Tags 0..2 repeat: the same (pair, tag) is reused many times over the run.
                const tag = i % 3;
                const payload = (from: number) => makeData('uint16', 4, seedOf('ring', i, from));
                const sent = comm.send(payload(comm.rank), next, { tag });
                const got = await comm.recv(new Uint16Array(4), prev, { tag });
                await sent;
                p.check(`call ${i}: ring message from ${prev} tag ${tag}`, got, payload(prev));
              } else {
                await runCall(comm, randomCall(rng, comm.size), i, `b2b-${size}`, memo, p);
              }
            }
            return p.list;
          });
          expect(problems.flat()).toEqual([]);
        },
        target.testTimeoutMs,
      );

      it(
        `size ${size}: 10 rounds of 8 collectives issued concurrently with Promise.all`,
        async () => {
          const memo = newMemo();
          const problems = await withWorld(target, size, async (comm) => {
            const p = new Problems();
            const rng = new Rng(seedOf('concurrent', size));
            for (let round = 0; round < 10; round++) {
              const calls = Array.from({ length: 8 }, () => randomCall(rng, comm.size));
              await Promise.all([
                ...calls.map((call, j) => runCall(comm, call, round * 10 + j, `concurrent-${size}`, memo, p)),
                comm.barrier(),
                comm.allgatherValues({ round, rank: comm.rank }).then((v) => {
                  const want = JSON.stringify(Array.from({ length: comm.size }, (_, r) => ({ round, rank: r })));
                  p.expectTrue(`round ${round}: allgatherValues gave ${JSON.stringify(v)}`, JSON.stringify(v) === want);
                }),
              ]);
            }
            return p.list;
          });
          expect(problems.flat()).toEqual([]);
        },
        target.testTimeoutMs,
      );
    }
  });
}

import type { Runner } from '../runner.js';
import type { ResolvedTarget } from '../target.js';
import { withWorld } from '../world.js';
import { pick } from './collectives.js';

/** A structured-cloneable value that depends on `rank` and exercises what structured clone keeps. */
export function sampleValue(rank: number, salt = 0): unknown {
  return {
    rank,
    salt,
    text: `rank ${rank} says héllo ✓`.repeat((rank % 3) + 1),
    nested: [[rank, [rank + 1, [rank + 2]]], [], { deep: { deeper: [null, true, false, 1.5, -0] } }],
    big: 2n ** 70n + BigInt(rank),
    map: new Map<unknown, unknown>([
      ['a', rank],
      [rank, { b: [rank] }],
    ]),
    set: new Set([rank, 'x']),
    date: new Date(Date.UTC(2024, 0, 1 + rank)),
    bytes: new Uint8Array([rank & 255, 1, 2, 3]),
    floats: new Float64Array([rank / 3, Number.NaN, Number.POSITIVE_INFINITY]),
    undef: undefined,
    sparse: [1, undefined, 3],
  };
}

/** sendValue/recvValue, bcastValue, gatherValues and allgatherValues with objects, Maps, nested arrays, bigints. */
export function valueSuites(runner: Runner, target: ResolvedTarget): void {
  const { describe, it, expect } = runner;
  describe('value variants (structured clone)', () => {
    for (const size of pick(target.sizes, [1, 2, 3, 7, 17])) {
      if (size >= 2)
        it(
          `size ${size}: sendValue/recvValue around a ring, two tags, several values in order`,
          async () => {
            const got = await withWorld(target, size, async (comm) => {
              const next = (comm.rank + 1) % comm.size;
              const prev = (comm.rank + comm.size - 1) % comm.size;
              const sends = Promise.all([
                comm.sendValue(sampleValue(comm.rank, 1), next, { tag: 1 }),
                comm.sendValue(sampleValue(comm.rank, 2), next, { tag: 1 }),
                comm.sendValue(['tag 7', comm.rank], next, { tag: 7 }),
              ]);
              // Receive the later tag first: tags are separate queues.
              const t7 = await comm.recvValue(prev, { tag: 7 });
              const first = await comm.recvValue(prev, { tag: 1 });
              const second = await comm.recvValue(prev, { tag: 1 });
              await sends;
              return { t7, first, second };
            });
            expect(got).toEqual(
              Array.from({ length: size }, (_, r) => {
                const prev = (r + size - 1) % size;
                return { t7: ['tag 7', prev], first: sampleValue(prev, 1), second: sampleValue(prev, 2) };
              }),
            );
          },
          target.testTimeoutMs,
        );

      it(
        `size ${size}: bcastValue from every root; only the root passes the value`,
        async () => {
          const got = await withWorld(target, size, async (comm) => {
            const out: unknown[] = [];
            for (let root = 0; root < comm.size; root++) {
              out.push(await comm.bcastValue(comm.rank === root ? sampleValue(root, 9) : undefined, root));
            }
            return out;
          });
          const want = Array.from({ length: size }, (_, root) => sampleValue(root, 9));
          expect(got).toEqual(Array.from({ length: size }, () => want));
        },
        target.testTimeoutMs,
      );

      it(
        `size ${size}: gatherValues (roots 0, last, middle) and allgatherValues`,
        async () => {
          const roots = [...new Set([0, size - 1, Math.floor(size / 2)])];
          const got = await withWorld(target, size, async (comm) => {
            const gathered: unknown[] = [];
            for (const root of roots) gathered.push(await comm.gatherValues(sampleValue(comm.rank, root), root));
            const all = await comm.allgatherValues({ rank: comm.rank, list: Array.from({ length: comm.rank }, (_, i) => BigInt(i)) });
            return { gathered, all };
          });
          const all = Array.from({ length: size }, (_, r) => ({ rank: r, list: Array.from({ length: r }, (_, i) => BigInt(i)) }));
          expect(got).toEqual(
            Array.from({ length: size }, (_, r) => ({
              gathered: roots.map((root) => (r === root ? Array.from({ length: size }, (_, s) => sampleValue(s, root)) : undefined)),
              all,
            })),
          );
        },
        target.testTimeoutMs,
      );
    }

    it(
      'a large value (about 1 MiB of nested data) survives bcastValue and allgatherValues',
      async () => {
        const size = pick(target.sizes, [3])[0];
        const big = (r: number) => ({ r, rows: Array.from({ length: 2000 }, (_, i) => ({ i, s: `row-${i}-${r}`.padEnd(300, '.') })) });
        const got = await withWorld(target, size, async (comm) => {
          const b = await comm.bcastValue(comm.rank === 0 ? big(0) : undefined, 0);
          const all = await comm.allgatherValues(comm.rank === 1 ? big(1) : comm.rank);
          return { b, all };
        });
        const all = Array.from({ length: size }, (_, r) => (r === 1 ? big(1) : r));
        expect(got).toEqual(Array.from({ length: size }, () => ({ b: big(0), all })));
      },
      target.testTimeoutMs,
    );
  });
}

import { ALL_DTYPES, alloc, copyOf, makeData, seedOf, type TypedArray } from '../random.js';
import { Problems } from '../reference.js';
import type { Runner } from '../runner.js';
import type { ResolvedTarget } from '../target.js';
import { withWorld } from '../world.js';
import { pick } from './collectives.js';

/** Communicator send/recv: order per (pair, tag), separate tags, every dtype, empty and large payloads, self. */
export function p2pSuites(runner: Runner, target: ResolvedTarget): void {
  const { describe, it, expect } = runner;
  describe('point-to-point (communicator)', () => {
    for (const size of pick(target.sizes, [2, 5, 16])) {
      it(
        `size ${size}: every pair, 20 messages per pair in order, tags received out of order`,
        async () => {
          const perPair = 20;
          const payload = (from: number, to: number, i: number, tag: number) => makeData('int32', 1 + ((from + to + i) % 7), seedOf('p2p', from, to, i, tag));
          const problems = await withWorld(target, size, async (comm) => {
            const p = new Problems();
            const sends: Promise<void>[] = [];
            for (let to = 0; to < comm.size; to++) {
              if (to === comm.rank) continue;
              for (let i = 0; i < perPair; i++) {
                const tag = i % 2 === 0 ? 3 : 1_000_000;
                sends.push(comm.send(payload(comm.rank, to, i, tag), to, { tag }));
              }
            }
            // Receive from every peer concurrently; within a peer, the odd tag's messages first.
            await Promise.all(
              Array.from({ length: comm.size }, async (_, from) => {
                if (from === comm.rank) return;
                for (const tag of [1_000_000, 3]) {
                  for (let i = tag === 3 ? 0 : 1; i < perPair; i += 2) {
                    const want = payload(from, comm.rank, i, tag);
                    const got = await comm.recv(alloc('int32', want.length), from, { tag });
                    p.check(`message ${i} from ${from} tag ${tag} on rank ${comm.rank}`, got, want);
                  }
                }
              }),
            );
            await Promise.all(sends);
            return p.list;
          });
          expect(problems.flat()).toEqual([]);
        },
        target.testTimeoutMs,
      );
    }

    const size = pick(target.sizes, [2])[0] ?? 1;
    if (size >= 2) {
      it(
        'every dtype, Buffer and views at odd offsets; recv returns the buffer it was given; sent buffers unchanged',
        async () => {
          const problems = await withWorld(target, 2, async (comm) => {
            const p = new Problems();
            const peer = 1 - comm.rank;
            for (const dtype of ALL_DTYPES) {
              const data = makeData(dtype, 13, seedOf('dtype', dtype));
              if (comm.rank === 0) {
                const snapshot = copyOf(data);
                await comm.send(data, peer, { tag: 5 });
                p.unchanged(`send ${dtype}`, data, snapshot);
              } else {
                const into = alloc(dtype, 13);
                const got = await comm.recv(into, peer, { tag: 5 });
                p.check(`recv ${dtype}`, got, data);
                p.expectTrue(`recv ${dtype}: must return the buffer it was given`, got === into);
              }
            }
            // A Buffer from Node's pool (non-zero byteOffset) and an odd-offset view.
            const pooled = Buffer.from('hello, pooled buffer');
            const backing = makeData('uint8', 40, seedOf('backing'));
            const view = backing.subarray(3, 3 + 17) as Uint8Array;
            if (comm.rank === 0) {
              await comm.send(pooled, peer);
              await comm.send(view, peer);
            } else {
              p.check('Buffer payload', await comm.recv(Buffer.alloc(pooled.length), peer), new Uint8Array(pooled));
              const target2 = new Uint8Array(30);
              const into = target2.subarray(5, 22);
              const got = await comm.recv(into, peer);
              p.check('view payload', got, copyOf(view));
              p.check('bytes around the receiving view', new Uint8Array([...target2.subarray(0, 5), ...target2.subarray(22)]), new Uint8Array(13));
            }
            return p.list;
          });
          expect(problems.flat()).toEqual([]);
        },
        target.testTimeoutMs,
      );

      it(
        'empty messages and a large (4 MiB) message',
        async () => {
          const big = makeData('float64', 512 * 1024, seedOf('big-p2p')) as Float64Array;
          const problems = await withWorld(target, 2, async (comm) => {
            const p = new Problems();
            const peer = 1 - comm.rank;
            if (comm.rank === 0) {
              await comm.send(new Float64Array(0), peer, { tag: 2 });
              await comm.send(big, peer, { tag: 2 });
              await comm.send(new Uint8Array(0), peer, { tag: 2 });
            } else {
              p.check('empty message', await comm.recv(new Float64Array(0), peer, { tag: 2 }), new Float64Array(0));
              p.check('large message', await comm.recv(new Float64Array(big.length), peer, { tag: 2 }), big);
              p.check('second empty message', await comm.recv(new Uint8Array(0), peer, { tag: 2 }), new Uint8Array(0));
            }
            return p.list;
          });
          expect(problems.flat()).toEqual([]);
        },
        target.testTimeoutMs,
      );
    }

    it(
      'a rank sends to itself (send before recv, then recv before send)',
      async () => {
        const problems = await withWorld(target, 1, async (comm) => {
          const p = new Problems();
          const a = makeData('int16', 9, seedOf('self-a')) as TypedArray;
          await comm.send(a, 0, { tag: 4 });
          p.check('self message', await comm.recv(new Int16Array(9), 0, { tag: 4 }), a);
          const pending = comm.recv(new Int16Array(9), 0, { tag: 6 });
          await comm.send(a, 0, { tag: 6 });
          p.check('self message received first', await pending, a);
          const v = await Promise.all([comm.sendValue({ self: [1n] }, 0), comm.recvValue(0)]);
          p.expectTrue(
            `self value: got ${JSON.stringify(v[1], (_k, x) => (typeof x === 'bigint' ? `${x}n` : x))}`,
            JSON.stringify(v[1], (_k, x) => (typeof x === 'bigint' ? `${x}n` : x)) === '{"self":["1n"]}',
          );
          return p.list;
        });
        expect(problems.flat()).toEqual([]);
      },
      target.testTimeoutMs,
    );
  });
}

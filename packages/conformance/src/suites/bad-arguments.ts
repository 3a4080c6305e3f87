import type { Communicator } from '@fmi/core';
import type { Runner } from '../runner.js';
import { skipWithReason } from '../runner.js';
import type { ResolvedTarget } from '../target.js';
import { withWorld } from '../world.js';
import { failureOf } from './errors.js';

type Bad = (comm: Communicator) => unknown;
const any = (v: unknown) => v as never;

/**
 * Calls every rank makes identically and that must fail with `invalid-argument`, before any rank
 * talks to another (so a bad call never desynchronises the communicator). `needs` is the least
 * world size that makes the call wrong.
 */
const CASES: ReadonlyArray<{ name: string; call: Bad; needs?: number }> = [
  { name: 'send to rank = size', call: (c) => c.send(new Int32Array(1), c.size) },
  { name: 'send to rank -1', call: (c) => c.send(new Int32Array(1), -1) },
  { name: 'send to rank 0.5', call: (c) => c.send(new Int32Array(1), 0.5) },
  { name: 'send with a non-integer tag', call: (c) => c.send(new Int32Array(1), 0, { tag: 1.5 }) },
  { name: 'send with a negative tag', call: (c) => c.send(new Int32Array(1), 0, { tag: -1 }) },
  { name: 'send with tag 2^31', call: (c) => c.send(new Int32Array(1), 0, { tag: 2 ** 31 }) },
  { name: 'send of a plain array', call: (c) => c.send(any([1, 2, 3]), 0) },
  { name: 'send of a DataView', call: (c) => c.send(any(new DataView(new ArrayBuffer(8))), 0) },
  { name: 'recv from rank = size', call: (c) => c.recv(new Int32Array(1), c.size) },
  { name: 'recv with tag NaN', call: (c) => c.recv(new Int32Array(1), 0, { tag: Number.NaN }) },
  { name: 'sendValue to rank = size', call: (c) => c.sendValue({ a: 1 }, c.size) },
  { name: 'sendValue of a value structured clone rejects (a function)', call: (c) => c.sendValue({ f: () => 1 }, 0) },
  { name: 'bcast with root = size', call: (c) => c.bcast(new Float64Array(2), c.size) },
  { name: 'bcast with root -1', call: (c) => c.bcast(new Float64Array(2), -1) },
  { name: 'bcast with root 0.5', call: (c) => c.bcast(new Float64Array(2), 0.5) },
  { name: 'bcastValue with root = size', call: (c) => c.bcastValue(1, c.size) },
  { name: 'gather with root = size', call: (c) => c.gather(new Float64Array(2), c.size) },
  { name: 'gatherValues with root -1', call: (c) => c.gatherValues(1, -1) },
  { name: 'scatter with root = size', call: (c) => c.scatter(new Float64Array(2 * c.size), new Float64Array(2), c.size) },
  { name: 'scatter into something that is not a TypedArray', call: (c) => c.scatter(new Float64Array(2 * c.size), any([0, 0]), 0) },
  { name: 'reduce with root = size', call: (c) => c.reduce(new Float64Array(2), 'sum', c.size) },
  { name: 'reduce with an unknown op name', call: (c) => c.reduce(new Float64Array(2), any('avg'), 0) },
  { name: 'allreduce with an unknown op name', call: (c) => c.allreduce(new Int32Array(2), any('mean')) },
  { name: 'allreduce with a bitwise op (band) on float64', call: (c) => c.allreduce(new Float64Array(2), 'band') },
  { name: 'allreduce with a bitwise op (bxor) on float32', call: (c) => c.allreduce(new Float32Array(2), 'bxor') },
  {
    name: 'allreduce with a custom op without commutative/associative flags',
    call: (c) => c.allreduce(new Float64Array(2), any({ fn: (a: number, b: number) => a + b })),
  },
  { name: 'allreduce with a custom op without fn or vector', call: (c) => c.allreduce(new Float64Array(2), any({ commutative: true, associative: true })) },
  { name: 'allreduce with out of the wrong length', call: (c) => c.allreduce(new Float64Array(4), 'sum', { out: new Float64Array(3) }) },
  {
    name: 'allreduce with out of another dtype (float32 out, float64 data)',
    call: (c) => c.allreduce(new Float64Array(4), 'sum', { out: any(new Float32Array(4)) }),
  },
  { name: 'allreduce with out of another dtype (uint8 out, int8 data)', call: (c) => c.allreduce(new Int8Array(4), 'sum', { out: any(new Uint8Array(4)) }) },
  { name: 'allreduce with out that is a plain array', call: (c) => c.allreduce(new Float64Array(2), 'sum', { out: any([0, 0]) }) },
  { name: 'scan with out of the wrong length', call: (c) => c.scan(new Int32Array(4), 'sum', { out: new Int32Array(5) }) },
  { name: 'allgather with out of the wrong length', call: (c) => c.allgather(new Int16Array(3), { out: new Int16Array(3 * c.size + 1) }) },
  { name: 'allgather with out of another dtype', call: (c) => c.allgather(new Int16Array(3), { out: any(new Uint16Array(3 * c.size)) }) },
  { name: 'alltoall with a length that is not a multiple of the size', call: (c) => c.alltoall(new Float64Array(c.size + 1)), needs: 2 },
  { name: 'alltoall with out of the wrong length', call: (c) => c.alltoall(new Float64Array(2 * c.size), { out: new Float64Array(2 * c.size - 1) }) },
  { name: 'reduceScatter with a length that is not a multiple of the size', call: (c) => c.reduceScatter(new Int32Array(c.size + 1), 'sum'), needs: 2 },
  { name: 'reduceScatter with out of the wrong length', call: (c) => c.reduceScatter(new Int32Array(2 * c.size), 'sum', { out: new Int32Array(3) }) },
  { name: 'split with a non-integer color', call: (c) => c.split(1.5) },
  { name: 'split with a NaN key', call: (c) => c.split(0, Number.NaN) },
  { name: 'a negative timeoutMs', call: (c) => c.barrier({ timeoutMs: -5 }) },
  { name: 'a NaN timeoutMs', call: (c) => c.allreduce(new Int32Array(1), 'sum', { timeoutMs: Number.NaN }) },
];

/** Bad arguments give `invalid-argument` on every rank, as a rejected promise, and the communicator stays usable. */
export function badArgumentSuites(runner: Runner, target: ResolvedTarget): void {
  const { describe, it, expect } = runner;
  const size = target.sizes.includes(3) ? 3 : Math.max(...target.sizes);
  describe(`bad arguments (size ${size})`, () => {
    for (const { name, call, needs } of CASES) {
      if (needs !== undefined && size < needs) {
        skipWithReason(runner, name, `needs a world of at least ${needs} ranks in target.sizes`);
        continue;
      }
      it(
        `${name} → invalid-argument on every rank; the next allreduce still works`,
        async () => {
          const got = await withWorld(
            target,
            size,
            async (comm) => {
              const kind = await failureOf(() => call(comm));
              // Only when every rank rejected is the communicator in a known state; a success would
              // leave peers waiting, so check usability with a bounded deadline.
              const sum = await comm.allreduce(new Int32Array([comm.rank + 1]), 'sum', { timeoutMs: 2_000 });
              return { kind, sum: sum[0] };
            },
            { closeTimeoutMs: 2_000 },
          );
          const total = (size * (size + 1)) / 2;
          expect(got).toEqual(Array.from({ length: size }, () => ({ kind: 'invalid-argument', sum: total })));
        },
        target.testTimeoutMs,
      );
    }
  });
}

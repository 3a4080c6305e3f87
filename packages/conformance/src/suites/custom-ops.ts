import { type CollectiveCall, type CollectiveName, newMemo, runCalls } from '../collective-calls.js';
import { matrixData, matrixProduct, permCompose, permData, skewData, skewFloat, skewFloatVector } from '../custom-ops.js';
import type { DType, TypedArray } from '../random.js';
import type { TestCustomOp } from '../reference.js';
import type { Runner } from '../runner.js';
import type { ResolvedTarget } from '../target.js';
import { withWorld } from '../world.js';
import { rootsFor } from './collectives.js';

const REDUCTIONS: readonly CollectiveName[] = ['reduce', 'allreduce', 'scan', 'exscan', 'reduceScatter'];

interface OpCase {
  readonly label: string;
  readonly op: TestCustomOp;
  readonly dtype: DType;
  readonly data: (length: number, seed: number) => TypedArray;
}

const CASES: readonly OpCase[] = [
  { label: 'skew (fn; neither commutative nor associative)', op: skewFloat, dtype: 'float64', data: skewData },
  { label: 'skew (vector; neither commutative nor associative)', op: skewFloatVector, dtype: 'float64', data: skewData },
  { label: 'S5 permutation composition (fn; associative, not commutative)', op: permCompose, dtype: 'int16', data: permData },
  { label: '2x2 matrix product mod 2^16 in BigUint64 (vector; associative, not commutative)', op: matrixProduct, dtype: 'biguint64', data: matrixData },
];

function callsFor(c: OpCase, size: number, big: boolean): CollectiveCall[] {
  const calls: CollectiveCall[] = [];
  for (const coll of REDUCTIONS) {
    for (const root of coll === 'reduce' ? rootsFor(size) : [0]) {
      const counts = big ? [2] : [1, 33];
      for (const count of counts) calls.push({ coll, dtype: c.dtype, op: c.op, opName: c.op.name, root, count, variant: 'plain', data: c.data });
      if (!big) calls.push({ coll, dtype: c.dtype, op: c.op, opName: c.op.name, root, count: 9, variant: 'out', data: c.data });
    }
    // A larger vector, where algorithms split blocks (the order must hold inside every block).
    if (!big && c.dtype !== 'biguint64') {
      const count = coll === 'reduceScatter' ? Math.ceil(2053 / size) : 2053;
      calls.push({ coll, dtype: c.dtype, op: c.op, opName: c.op.name, root: size - 1, count, variant: 'plain', data: c.data });
    }
  }
  return calls;
}

/**
 * Custom ops that are not both commutative and associative: reduce (every root), allreduce, scan,
 * exscan and reduceScatter must equal a sequential left fold in rank order, bit for bit.
 */
export function customOpSuites(runner: Runner, target: ResolvedTarget): void {
  const { describe, it, expect } = runner;
  for (const c of CASES) {
    describe(`custom op: ${c.label}`, () => {
      for (const size of target.sizes) {
        it(
          `size ${size}: ${REDUCTIONS.join(', ')} equal a left fold in rank order`,
          async () => {
            const calls = callsFor(c, size, false);
            const memo = newMemo();
            const problems = await withWorld(target, size, (comm) => runCalls(comm, calls, `custom-${c.op.name}-${size}`, memo));
            expect(problems.flat()).toEqual([]);
          },
          target.testTimeoutMs,
        );
      }
      for (const size of target.bigSizes) {
        it(
          `size ${size} (fast subset)`,
          async () => {
            const calls = callsFor(c, size, true);
            const memo = newMemo();
            const problems = await withWorld(target, size, (comm) => runCalls(comm, calls, `custom-big-${c.op.name}-${size}`, memo));
            expect(problems.flat()).toEqual([]);
          },
          target.testTimeoutMs,
        );
      }
    });
  }
}

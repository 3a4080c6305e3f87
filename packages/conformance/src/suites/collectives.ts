import { COLLECTIVE_NAMES, type CollectiveCall, type CollectiveName, newMemo, REDUCING, ROOTED, runCalls } from '../collective-calls.js';
import { ALL_DTYPES, type DType, isFloat } from '../random.js';
import { BUILTIN_OP_NAMES, type BuiltinOpName } from '../reference.js';
import type { Runner } from '../runner.js';
import type { ResolvedTarget } from '../target.js';
import { withWorld } from '../world.js';

/**
 * Every collective over every world size × dtypes × roots × buffer variants, checked on every rank
 * against a sequential reference. All eleven dtypes run at a few sizes (1, 2, 3, 5, 8, 17 and the
 * largest given); float64 and int32 run everywhere, with every op, the `out` and view variants and
 * one large buffer (large enough for the bandwidth-optimal algorithms).
 */

const ALL_DTYPE_SIZES: ReadonlySet<number> = new Set([1, 2, 3, 5, 8, 17]);
const EVERYWHERE: readonly DType[] = ['float64', 'int32'];
/** Elements of the large case, summed over the blocks of one rank's buffer (128 KiB of float64). */
export const LARGE_ELEMENTS = 16_411;

export function opsFor(dtype: DType): BuiltinOpName[] {
  return BUILTIN_OP_NAMES.filter((op) => !(isFloat(dtype) && (op === 'band' || op === 'bor' || op === 'bxor')));
}

export function rootsFor(size: number): number[] {
  return [...new Set([0, size - 1, Math.floor(size / 2)])];
}

/** Elements per rank (or per block) that make one rank's buffer about `total` elements. */
function perRank(coll: CollectiveName, size: number, total: number): number {
  const blocked = coll === 'gather' || coll === 'allgather' || coll === 'scatter' || coll === 'alltoall' || coll === 'reduceScatter';
  return blocked ? Math.max(1, Math.ceil(total / size)) : total;
}

/** The calls of one (collective, world size) test, in the order every rank makes them. */
export function planCalls(coll: CollectiveName, size: number, mode: 'full' | 'fast', allSizes: readonly number[]): CollectiveCall[] {
  const calls: CollectiveCall[] = [];
  const roots = ROOTED.has(coll) ? rootsFor(size) : [0];
  const allDtypes = mode === 'full' && (ALL_DTYPE_SIZES.has(size) || size === Math.max(...allSizes));
  const dtypes = allDtypes ? ALL_DTYPES : EVERYWHERE;
  const counts = mode === 'fast' ? [3] : [1, 37];
  for (const dtype of dtypes) {
    const ops: Array<BuiltinOpName | undefined> = REDUCING.has(coll) ? (mode === 'fast' ? [isFloat(dtype) ? 'sum' : 'bxor'] : opsFor(dtype)) : [undefined];
    for (const opName of ops) {
      for (const root of roots) {
        for (const count of counts) calls.push({ coll, dtype, op: opName, opName, root, count, variant: 'plain' });
      }
    }
  }
  if (mode === 'full') {
    for (const dtype of EVERYWHERE) {
      const opName: BuiltinOpName | undefined = REDUCING.has(coll) ? 'sum' : undefined;
      for (const root of roots) {
        calls.push({ coll, dtype, op: opName, opName, root, count: 37, variant: 'out' });
        calls.push({ coll, dtype, op: opName, opName, root, count: 5, variant: 'view' });
      }
    }
    const opName: BuiltinOpName | undefined = REDUCING.has(coll) ? 'sum' : undefined;
    calls.push({ coll, dtype: 'float64', op: opName, opName, root: roots[roots.length - 1], count: perRank(coll, size, LARGE_ELEMENTS), variant: 'plain' });
    calls.push({
      coll,
      dtype: 'int32',
      op: REDUCING.has(coll) ? 'bxor' : undefined,
      opName: REDUCING.has(coll) ? 'bxor' : undefined,
      root: 0,
      count: perRank(coll, size, LARGE_ELEMENTS),
      variant: 'out',
    });
  }
  return calls;
}

/** Where `out` may be the input itself (same length, as MPI_IN_PLACE allows). */
const IN_PLACE: readonly CollectiveName[] = ['reduce', 'allreduce', 'scan', 'exscan', 'alltoall'];

export function collectiveSuites(runner: Runner, target: ResolvedTarget): void {
  const { describe, it, expect } = runner;
  for (const coll of COLLECTIVE_NAMES) {
    describe(coll, () => {
      for (const size of target.sizes) {
        it(
          `size ${size}: dtypes × ${REDUCING.has(coll) ? 'ops × ' : ''}${ROOTED.has(coll) ? 'roots × ' : ''}out/view variants, large buffer`,
          async () => {
            const calls = planCalls(coll, size, 'full', target.sizes);
            const memo = newMemo();
            const problems = await withWorld(target, size, (comm) => runCalls(comm, calls, `${coll}-${size}`, memo));
            expect(problems.flat()).toEqual([]);
          },
          target.testTimeoutMs,
        );
      }
      for (const size of target.bigSizes) {
        it(
          `size ${size} (fast subset: float64 and int32, small buffers)`,
          async () => {
            const calls = planCalls(coll, size, 'fast', target.sizes);
            const memo = newMemo();
            const problems = await withWorld(target, size, (comm) => runCalls(comm, calls, `${coll}-big-${size}`, memo));
            expect(problems.flat()).toEqual([]);
          },
          target.testTimeoutMs,
        );
      }
    });
  }

  describe('in-place (out is the input buffer)', () => {
    for (const size of pick(target.sizes, [1, 2, 5, 16])) {
      it(
        `size ${size}: ${IN_PLACE.join(', ')}, float64 and int32`,
        async () => {
          const calls: CollectiveCall[] = [];
          for (const coll of IN_PLACE) {
            for (const dtype of EVERYWHERE) {
              const opName: BuiltinOpName | undefined = REDUCING.has(coll) ? (dtype === 'int32' ? 'bxor' : 'sum') : undefined;
              for (const root of ROOTED.has(coll) ? rootsFor(size) : [0]) {
                for (const count of [1, 37]) calls.push({ coll, dtype, op: opName, opName, root, count, variant: 'in-place' });
              }
            }
          }
          const memo = newMemo();
          const problems = await withWorld(target, size, (comm) => runCalls(comm, calls, `in-place-${size}`, memo));
          expect(problems.flat()).toEqual([]);
        },
        target.testTimeoutMs,
      );
    }
  });

  describe('empty buffers (count 0)', () => {
    for (const size of pick(target.sizes, [1, 3, 8])) {
      it(
        `size ${size}: every collective with zero elements`,
        async () => {
          const calls: CollectiveCall[] = COLLECTIVE_NAMES.map((coll) => ({
            coll,
            dtype: 'float64' as DType,
            op: REDUCING.has(coll) ? ('sum' as const) : undefined,
            opName: REDUCING.has(coll) ? 'sum' : undefined,
            root: size - 1,
            count: 0,
            variant: 'plain' as const,
          }));
          const memo = newMemo();
          const problems = await withWorld(target, size, (comm) => runCalls(comm, calls, `empty-${size}`, memo));
          expect(problems.flat()).toEqual([]);
        },
        target.testTimeoutMs,
      );
    }
  });

  describe('barrier', () => {
    for (const size of target.sizes) {
      it(
        `size ${size}: no rank leaves before every rank has arrived (5 rounds, staggered arrivals)`,
        async () => {
          const rounds = 5;
          const arrived = new Array<number>(rounds).fill(0);
          const seen = await withWorld(target, size, async (comm) => {
            const counts: number[] = [];
            for (let round = 0; round < rounds; round++) {
              // Stagger arrivals so a barrier that lets ranks through early would show it.
              await new Promise((resolve) => setTimeout(resolve, (comm.rank * 7 + round * 3) % 5));
              arrived[round] += 1;
              await comm.barrier();
              counts.push(arrived[round]);
            }
            return counts;
          });
          expect(seen).toEqual(Array.from({ length: size }, () => new Array(rounds).fill(size)));
        },
        target.testTimeoutMs,
      );
    }
    for (const size of target.bigSizes) {
      it(
        `size ${size}: no rank leaves before every rank has arrived`,
        async () => {
          let arrived = 0;
          const seen = await withWorld(target, size, async (comm) => {
            await new Promise((resolve) => setTimeout(resolve, comm.rank % 4));
            arrived += 1;
            await comm.barrier();
            return arrived;
          });
          expect(seen).toEqual(new Array(size).fill(size));
        },
        target.testTimeoutMs,
      );
    }
  });
}

/** The wanted sizes that the target runs, or its smallest and largest when none match. */
export function pick(sizes: readonly number[], wanted: readonly number[]): number[] {
  const hit = wanted.filter((n) => sizes.includes(n));
  if (hit.length > 0) return hit;
  return [...new Set([Math.min(...sizes), Math.max(...sizes)])];
}

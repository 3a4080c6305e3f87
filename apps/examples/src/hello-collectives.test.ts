import type { Communicator, TypedArray } from '@fmi/core';
import { runWorld } from '@fmi/core/testing';
import { describe, expect, it } from 'vitest';
import { runHelloCollectives } from './hello-collectives.js';
import { CHANNEL_KINDS } from './testing/worlds.js';

const EVERY_OP = [
  'send/recv',
  'sendValue/recvValue',
  'bcast',
  'bcastValue',
  'barrier',
  'gather',
  'gatherValues',
  'scatter',
  'reduce sum',
  'reduce custom',
  'allreduce',
  'allreduce custom',
  'scan',
  'exscan',
  'allgather',
  'allgatherValues',
  'alltoall',
  'reduceScatter',
  'split',
  'plan',
];

/** A communicator whose `method` returns a wrong first element on the given ranks: what a broken channel or algorithm would do. */
function corrupting(comm: Communicator, method: 'allreduce' | 'scan', onRanks: readonly number[]): Communicator {
  return new Proxy(comm, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (prop === method && onRanks.includes(target.rank)) {
        return async (...args: unknown[]) => {
          const result = (await (value as (...a: unknown[]) => Promise<TypedArray>).apply(target, args)) as Float64Array;
          result[0] += 1;
          return result;
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe.each(CHANNEL_KINDS)('runHelloCollectives over the in-memory %s', (_name, worldOptions) => {
  it.each([1, 2, 5])('passes every check on %i rank(s)', async (size) => {
    const lines: string[] = [];
    const results = await runWorld(size, (comm) => runHelloCollectives(comm, { log: comm.rank === 0 ? (l) => lines.push(l) : undefined }), worldOptions);
    for (const r of results) {
      expect(r.checks.filter((c) => !c.ok)).toEqual([]);
      expect(r.checks.map((c) => c.op)).toEqual(EVERY_OP);
      expect(r.passed).toBe(true);
    }
    // One report line per operation, then the verdict.
    expect(lines.filter((l) => l.startsWith('ok  '))).toHaveLength(EVERY_OP.length);
    expect(lines.at(-1)).toBe(`all ${EVERY_OP.length} checks passed on ${size} rank(s)`);
  });
});

describe('runHelloCollectives', () => {
  it('reports a wrong result, the operation and the ranks that got it', async () => {
    const lines: string[] = [];
    const results = await runWorld(4, (comm) =>
      runHelloCollectives(corrupting(comm, 'scan', [1, 3]), { log: comm.rank === 0 ? (l) => lines.push(l) : undefined }),
    );
    for (const r of results) {
      expect(r.passed).toBe(false);
      expect(r.checks.filter((c) => !c.ok).map((c) => [c.op, c.failedRanks])).toEqual([['scan', [1, 3]]]);
    }
    expect(lines).toContainEqual(expect.stringMatching(/^FAIL {2}scan .*\(wrong on rank\(s\) 1, 3\)$/));
    expect(lines.at(-1)).toBe(`1 of ${EVERY_OP.length} checks FAILED`);
  });

  it('catches a wrong allreduce on every rank, built-in and custom op alike', async () => {
    const results = await runWorld(3, (comm) => runHelloCollectives(corrupting(comm, 'allreduce', [0, 1, 2])));
    expect(results[0].checks.filter((c) => !c.ok).map((c) => c.op)).toEqual(['allreduce', 'allreduce custom']);
    expect(results[0].checks.find((c) => c.op === 'allreduce')?.failedRanks).toEqual([0, 1, 2]);
  });
});

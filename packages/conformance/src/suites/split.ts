import type { Communicator } from '@fmi/core';
import type { Runner } from '../runner.js';
import type { ResolvedTarget } from '../target.js';
import { withWorld } from '../world.js';
import { pick } from './collectives.js';

/** What one rank saw of its sub-communicator. */
interface SubView {
  readonly member: boolean;
  readonly size?: number;
  readonly rank?: number;
  readonly id?: string;
  readonly sum?: number;
  readonly ranks?: number[];
  readonly fromLast?: number[];
  readonly values?: unknown[] | undefined;
  readonly nested?: { size: number; rank: number; sum: number } | undefined;
  readonly again?: string;
  readonly worldSum?: number;
}

/** Color of a world rank in the split test: rank 1 opts out with undefined, rank 2 with -1, others rank % 3. */
function colorOf(rank: number): number | undefined {
  if (rank === 1) return undefined;
  if (rank === 2) return -1;
  return rank % 3;
}

/** Keys reverse the order inside a color, except equal keys for rank % 4 === 0 (ties go by world rank). */
function keyOf(rank: number, size: number): number {
  return rank % 4 === 0 ? 0 : size - rank;
}

function expectedMembers(rank: number, size: number): number[] | undefined {
  const color = colorOf(rank);
  if (color === undefined || color < 0) return undefined;
  return Array.from({ length: size }, (_, r) => r)
    .filter((r) => colorOf(r) === color)
    .sort((a, b) => keyOf(a, size) - keyOf(b, size) || a - b);
}

async function exercise(comm: Communicator): Promise<SubView> {
  const sub = await comm.split(colorOf(comm.rank), keyOf(comm.rank, comm.size));
  // The world stays usable alongside the sub-communicators (calls interleaved and concurrent).
  const worldSum = (await comm.allreduce(new Int32Array([comm.rank]), 'sum'))[0];
  if (!sub) {
    // Opting out of one split does not exempt a rank from the next world collective.
    const againComm = await comm.split(colorOf(comm.rank), keyOf(comm.rank, comm.size));
    return { member: false, worldSum, again: againComm?.id };
  }
  const [sumBuf, all, fromLast] = await Promise.all([
    sub.allreduce(new Int32Array([comm.rank]), 'sum'),
    sub.allgather(new Int32Array([comm.rank])),
    sub.bcast(new Int32Array([comm.rank, sub.rank]), sub.size - 1),
  ]);
  await sub.barrier();
  const values = await sub.gatherValues({ world: comm.rank }, 0);
  const nestedComm = await sub.split(sub.rank % 2, 0);
  let nested: SubView['nested'];
  if (nestedComm) {
    const s = (await nestedComm.allreduce(new Float64Array([comm.rank]), 'sum'))[0];
    nested = { size: nestedComm.size, rank: nestedComm.rank, sum: s };
    await nestedComm.close();
  }
  const againComm = await comm.split(colorOf(comm.rank), keyOf(comm.rank, comm.size));
  const again = againComm?.id;
  await againComm?.close();
  const view: SubView = {
    member: true,
    size: sub.size,
    rank: sub.rank,
    id: sub.id,
    sum: sumBuf[0],
    ranks: Array.from(all),
    fromLast: Array.from(fromLast),
    values,
    nested,
    again,
    worldSum,
  };
  await sub.close();
  return view;
}

/** split(color, key): membership, order by key then rank, opting out, nested splits, collectives on sub-communicators. */
export function splitSuites(runner: Runner, target: ResolvedTarget): void {
  const { describe, it, expect } = runner;
  describe('split', () => {
    for (const size of pick(target.sizes, [1, 2, 3, 4, 7, 12, 17])) {
      it(
        `size ${size}: colors rank % 3, reversed keys with ties, undefined and negative colors opt out; collectives and a nested split on the parts`,
        async () => {
          const views = await withWorld(target, size, (comm) => exercise(comm));
          const worldSum = (size * (size - 1)) / 2;
          const expected = views.map((_, rank): SubView => {
            const members = expectedMembers(rank, size);
            if (!members) return { member: false, worldSum, again: undefined };
            const subRank = members.indexOf(rank);
            const half = members.filter((_, i) => i % 2 === subRank % 2);
            return {
              member: true,
              size: members.length,
              rank: subRank,
              id: views[rank].id,
              sum: members.reduce((a, b) => a + b, 0),
              ranks: members,
              fromLast: [members[members.length - 1], members.length - 1],
              values: subRank === 0 ? members.map((world) => ({ world })) : undefined,
              nested: { size: half.length, rank: half.indexOf(rank), sum: half.reduce((a, b) => a + b, 0) },
              again: views[rank].again,
              worldSum,
            };
          });
          expect(views).toEqual(expected);
          // Ids: equal within a part, distinct across parts, distinct from the world and from a second split.
          const ids = new Map<string, string>();
          const problems: string[] = [];
          views.forEach((v, rank) => {
            if (!v.member) return;
            const color = String(colorOf(rank));
            if (!ids.has(color)) ids.set(color, v.id!);
            if (ids.get(color) !== v.id) problems.push(`rank ${rank}: sub id ${v.id} differs from its part's ${ids.get(color)}`);
            if (v.id === v.again) problems.push(`rank ${rank}: a second split reused id ${v.id}`);
            if (v.id === 'w') problems.push(`rank ${rank}: sub id equals the world's`);
          });
          if (new Set(ids.values()).size !== ids.size) problems.push(`parts share ids: ${JSON.stringify([...ids])}`);
          expect(problems).toEqual([]);
        },
        target.testTimeoutMs,
      );
    }
  });
}

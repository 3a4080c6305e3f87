import { blockLayout, type TypedArray } from '../../buffers.js';
import { applyKernel, type ResolvedOp } from '../../ops/reduce-op.js';
import { floorPow2, type MessageCtx } from '../context.js';
import { accumulatorOf, bytesOf, scratchLike } from '../reduction.js';
import { bcastBinomial } from './bcast.js';
import { reduceGatherFold } from './reduce.js';

/**
 * Recursive-doubling allreduce (associative ops; rank order is kept, so commutativity is not needed).
 *
 * N not a power of two: the first 2r ranks (r = N − 2^⌊log2 N⌋) pair up, the even one hands its
 * vector to the odd one and sits out; the 2^⌊log2 N⌋ remaining ranks exchange whole vectors with
 * the partner at distance 1, 2, 4, ... and fold (lower ranks' partial on the left); finally the
 * odd ranks hand the result back. Steps: ⌊log2 N⌋ (+2 when N is not a power of two) rounds of
 * one send and one receive of B bytes. Time ≈ ⌈log2 N⌉ (α + B/β + Bγ). Best for small vectors.
 */
export async function allreduceRecursiveDoubling<T extends TypedArray>(ctx: MessageCtx, data: T, op: ResolvedOp): Promise<T> {
  const { rank, size } = ctx;
  const acc = accumulatorOf(data);
  if (size === 1) return acc;
  const tmp = scratchLike(data);
  const pof2 = floorPow2(size);
  const rem = size - pof2;
  let newRank: number;
  if (rank < 2 * rem) {
    if (rank % 2 === 0) {
      await ctx.send(rank + 1, 0, bytesOf(acc));
      newRank = -1;
    } else {
      await ctx.recv(rank - 1, 0, bytesOf(tmp));
      applyKernel(op, tmp, acc, acc); // the even rank is lower: its data goes on the left
      newRank = rank >> 1;
    }
  } else {
    newRank = rank - rem;
  }
  if (newRank >= 0) {
    for (let mask = 1, step = 1; mask < pof2; mask <<= 1, step++) {
      const partnerNew = newRank ^ mask;
      const partner = partnerNew < rem ? partnerNew * 2 + 1 : partnerNew + rem;
      await Promise.all([ctx.send(partner, step, bytesOf(acc)), ctx.recv(partner, step, bytesOf(tmp))]);
      if (partnerNew < newRank) applyKernel(op, tmp, acc, acc);
      else applyKernel(op, acc, tmp, acc);
    }
  }
  if (rank < 2 * rem) {
    if (rank % 2 === 1) await ctx.send(rank - 1, 64, bytesOf(acc));
    else await ctx.recv(rank + 1, 64, bytesOf(acc));
  }
  return acc;
}

/**
 * Ring allreduce (commutative and associative ops), bandwidth-optimal for large vectors.
 *
 * The vector is cut into N blocks. Reduce-scatter: N−1 steps, each rank sends one block to its
 * right neighbour and folds the block from its left one, so after N−1 steps rank i holds the full
 * sum of block i. Allgather: N−1 more steps pass the finished blocks around the ring. Per rank:
 * 2(N−1) messages of B/N bytes, 2(N−1)/N · B bytes sent. Time ≈ 2(N−1) α + 2 (N−1)/N · B/β.
 */
export async function allreduceRing<T extends TypedArray>(ctx: MessageCtx, data: T, op: ResolvedOp): Promise<T> {
  const acc = accumulatorOf(data);
  if (ctx.size === 1) return acc;
  await reduceScatterRingInPlace(ctx, acc, op);
  await allgatherRingInPlace(ctx, acc, 1000);
  return acc;
}

/**
 * In place on `acc`: after it, block `rank` of `acc` (blockLayout(len, N)) holds the reduction of
 * that block over all ranks; other blocks hold partial sums. N−1 steps of B/N bytes each way.
 */
export async function reduceScatterRingInPlace<T extends TypedArray>(ctx: MessageCtx, acc: T, op: ResolvedOp): Promise<void> {
  const { rank, size } = ctx;
  const { counts, offsets } = blockLayout(acc.length, size);
  const tmp = scratchLike(acc, counts[0]);
  const right = (rank + 1) % size;
  const left = (rank - 1 + size) % size;
  for (let s = 0; s < size - 1; s++) {
    const sendBlock = (rank - s - 1 + 2 * size) % size;
    const recvBlock = (rank - s - 2 + 2 * size) % size;
    const sendView = acc.subarray(offsets[sendBlock], offsets[sendBlock] + counts[sendBlock]) as T;
    const recvView = acc.subarray(offsets[recvBlock], offsets[recvBlock] + counts[recvBlock]) as T;
    const into = tmp.subarray(0, counts[recvBlock]) as T;
    await Promise.all([ctx.send(right, s, bytesOf(sendView)), ctx.recv(left, s, bytesOf(into))]);
    applyKernel(op, into, recvView, recvView);
  }
}

/**
 * In place on `acc`: each rank starts owning block `rank` and ends with every block. N−1 steps,
 * each receiving straight into its final place. Tags start at `stepBase`.
 */
export async function allgatherRingInPlace<T extends TypedArray>(ctx: MessageCtx, acc: T, stepBase: number): Promise<void> {
  const { rank, size } = ctx;
  const { counts, offsets } = blockLayout(acc.length, size);
  const right = (rank + 1) % size;
  const left = (rank - 1 + size) % size;
  for (let s = 0; s < size - 1; s++) {
    const sendBlock = (rank - s + size) % size;
    const recvBlock = (rank - s - 1 + size) % size;
    const sendView = acc.subarray(offsets[sendBlock], offsets[sendBlock] + counts[sendBlock]);
    const recvView = acc.subarray(offsets[recvBlock], offsets[recvBlock] + counts[recvBlock]);
    await Promise.all([ctx.send(right, stepBase + s, bytesOf(sendView as T)), ctx.recv(left, stepBase + s, bytesOf(recvView as T))]);
  }
}

/**
 * Allreduce for ops that are neither commutative nor associative (or not both): reduce to rank 0
 * by gather + left fold, then binomial broadcast. 2⌈log2 N⌉ rounds; N−1 folds at rank 0.
 */
export async function allreduceReduceBcast<T extends TypedArray>(ctx: MessageCtx, data: T, op: ResolvedOp): Promise<T> {
  const reduced = await reduceGatherFold(ctx, data, op, 0);
  const out = reduced ?? scratchLike(data);
  await bcastBinomial(shifted(ctx, 100), bytesOf(out), 0);
  return out;
}

/** The same context with steps moved up by `base`, so two phases of one call never share a tag. */
export function shifted(ctx: MessageCtx, base: number): MessageCtx {
  return {
    rank: ctx.rank,
    size: ctx.size,
    send: (peer, step, data) => ctx.send(peer, base + step, data),
    recv: (peer, step, into) => ctx.recv(peer, base + step, into),
  };
}

import type { TypedArray } from '../../buffers.js';
import { applyKernel, type ResolvedOp } from '../../ops/reduce-op.js';
import type { MessageCtx } from '../context.js';
import { accumulatorOf, bytesOf, scratchLike } from '../reduction.js';

/**
 * Logarithmic (recursive-doubling) prefix reduction for associative ops, rank order kept.
 *
 * In round k each rank sends its running segment sum (ranks rank−2^k+1 .. rank) to rank + 2^k and
 * folds the segment from rank − 2^k on its left. After ⌈log2 N⌉ rounds rank i holds x0 ⊕ ... ⊕ xi
 * (inclusive) and x0 ⊕ ... ⊕ x(i−1) (exclusive). Per rank ⌈log2 N⌉ sends and receives of B bytes.
 * Time ≈ ⌈log2 N⌉ (α + B/β + Bγ).
 */
export async function scanRecursiveDoubling<T extends TypedArray>(ctx: MessageCtx, data: T, op: ResolvedOp, exclusive: boolean): Promise<T | undefined> {
  const { rank, size } = ctx;
  const segment = accumulatorOf(data); // x(rank−2^k+1) ⊕ ... ⊕ x(rank)
  let excl: T | undefined; // x0 ⊕ ... ⊕ x(rank−1), built up from the left
  const tmp = scratchLike(data);
  for (let dist = 1, step = 0; dist < size; dist <<= 1, step++) {
    const to = rank + dist;
    const from = rank - dist;
    const send = to < size ? ctx.send(to, step, bytesOf(segment)) : undefined;
    if (from >= 0) {
      await ctx.recv(from, step, bytesOf(tmp));
      if (send) await send; // the segment must leave before it changes
      if (excl) applyKernel(op, tmp, excl, excl);
      else excl = accumulatorOf(tmp);
      applyKernel(op, tmp, segment, segment);
    } else if (send) {
      await send;
    }
  }
  return exclusive ? excl : segment;
}

/**
 * Chain prefix reduction for ops that are not associative: rank i waits for the prefix of rank
 * i−1, folds its own data on the right and passes the result on, which is exactly a sequential
 * left fold. N−1 steps in sequence; time ≈ (N−1)(α + B/β + Bγ).
 */
export async function scanChain<T extends TypedArray>(ctx: MessageCtx, data: T, op: ResolvedOp, exclusive: boolean): Promise<T | undefined> {
  const { rank, size } = ctx;
  let prefix: T | undefined;
  let inclusive: T;
  if (rank > 0) {
    prefix = scratchLike(data);
    await ctx.recv(rank - 1, 0, bytesOf(prefix));
    inclusive = scratchLike(data);
    applyKernel(op, prefix, data, inclusive);
  } else {
    inclusive = accumulatorOf(data);
  }
  if (rank + 1 < size) await ctx.send(rank + 1, 0, bytesOf(inclusive));
  return exclusive ? prefix : inclusive;
}

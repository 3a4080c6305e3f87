import type { TypedArray } from '../../buffers.js';
import { applyKernel, type ResolvedOp } from '../../ops/reduce-op.js';
import { fromRelative, type MessageCtx, toRelative } from '../context.js';
import { accumulatorOf, bytesOf, foldInOrder, scratchLike } from '../reduction.js';
import { gatherBinomial } from './gather-scatter.js';

/**
 * Binomial-tree reduce (commutative and associative ops).
 *
 * Steps: ⌈log2 N⌉ rounds; in round k a rank with bit k set (relative to the root) sends its
 * partial result to the rank 2^k below and stops; the receiver folds it in. Per rank: at most
 * ⌈log2 N⌉ receives of B bytes and one send; time ≈ ⌈log2 N⌉ (α + B/β + B·γ), γ = fold time per byte.
 */
export async function reduceBinomial<T extends TypedArray>(ctx: MessageCtx, data: T, op: ResolvedOp, root: number): Promise<T | undefined> {
  const { rank, size } = ctx;
  const rel = toRelative(rank, root, size);
  const acc = accumulatorOf(data);
  const tmp = size > 1 ? scratchLike(data) : acc;
  for (let mask = 1; mask < size; mask <<= 1) {
    if (rel & mask) {
      await ctx.send(fromRelative(rel - mask, root, size), 0, bytesOf(acc));
      return undefined;
    }
    if (rel + mask < size) {
      await ctx.recv(fromRelative(rel + mask, root, size), 0, bytesOf(tmp));
      applyKernel(op, acc, tmp, acc);
    }
  }
  return acc;
}

/**
 * Reduce for ops that are not both commutative and associative: binomial gather to the root, then
 * a sequential left fold in rank order, so the result equals x0 ⊕ x1 ⊕ ... ⊕ x(N−1) folded left,
 * bit for bit. Steps: ⌈log2 N⌉ rounds, (N−1)·B bytes into the root, N−1 folds at the root.
 */
export async function reduceGatherFold<T extends TypedArray>(ctx: MessageCtx, data: T, op: ResolvedOp, root: number): Promise<T | undefined> {
  const blocks = await gatherBinomial(ctx, bytesOf(data), root);
  if (!blocks) return undefined;
  return foldInOrder(data, blocks, op);
}

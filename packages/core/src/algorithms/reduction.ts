import { allocLike, bytesOf, cloneBuf, type TypedArray, viewLike } from '../buffers.js';
import { applyKernel, type ResolvedOp } from '../ops/reduce-op.js';

/**
 * Left fold of blocks in rank order: ((b0 ⊕ b1) ⊕ b2) ⊕ ... into a new buffer of `like`'s kind.
 * The only order FMI uses for ops that are not both commutative and associative.
 */
export function foldInOrder<T extends TypedArray>(like: T, blocks: readonly Uint8Array[], op: ResolvedOp): T {
  const acc = cloneBuf(viewLike(like, blocks[0]));
  for (let i = 1; i < blocks.length; i++) applyKernel(op, acc, viewLike(like, blocks[i]), acc);
  return acc;
}

/** A fresh accumulator holding a copy of the caller's data (inputs are never modified). */
export function accumulatorOf<T extends TypedArray>(data: T): T {
  return cloneBuf(data);
}

export function scratchLike<T extends TypedArray>(data: T, length = data.length): T {
  return allocLike(data, length);
}

export { bytesOf, viewLike };

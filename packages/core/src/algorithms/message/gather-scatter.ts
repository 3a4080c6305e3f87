import { packBlocks, unpackBlocks } from '../../buffers.js';
import { FmiError } from '../../errors.js';
import { ceilPow2, fromRelative, type MessageCtx, toRelative } from '../context.js';

/**
 * Binomial-tree gather of one block per rank (blocks may differ in length).
 *
 * Steps: ⌈log2 N⌉ rounds; a rank whose relative rank has bit k set sends everything it has
 * collected (its subtree, 2^k blocks) to the rank 2^k below it and stops. Bytes into the root:
 * (N−1)·B in ⌈log2 N⌉ messages; each message carries a small header (block lengths).
 * Time ≈ ⌈log2 N⌉ α + (N−1) B/β. Returns the blocks in rank order at the root, `undefined` elsewhere.
 */
export async function gatherBinomial(ctx: MessageCtx, block: Uint8Array, root: number): Promise<Uint8Array[] | undefined> {
  const { rank, size } = ctx;
  const rel = toRelative(rank, root, size);
  const mine: Uint8Array[] = [block]; // blocks of relative ranks rel, rel+1, ...
  for (let mask = 1; mask < size; mask <<= 1) {
    if (rel & mask) {
      await ctx.send(fromRelative(rel - mask, root, size), 0, packBlocks(mine));
      return undefined;
    }
    if (rel + mask < size) {
      const got = unpackBlocks(await ctx.recv(fromRelative(rel + mask, root, size), 0));
      const expected = Math.min(mask, size - rel - mask);
      if (got.length !== expected) throw new FmiError('protocol', `gather: expected ${expected} blocks from a subtree, got ${got.length}`);
      mine.push(...got);
    }
  }
  // At the root: mine[i] is the block of relative rank i; reorder to real ranks.
  const out = new Array<Uint8Array>(size);
  for (let i = 0; i < size; i++) out[fromRelative(i, root, size)] = mine[i];
  return out;
}

/**
 * Binomial-tree scatter: the root holds one block per rank; each rank gets its own.
 *
 * Steps: ⌈log2 N⌉ rounds, the mirror image of the gather: a rank receives its whole subtree's
 * blocks from its parent, then hands each child subtree its part, largest first. The root sends
 * (N−1)·B bytes in ⌈log2 N⌉ messages. Time ≈ ⌈log2 N⌉ α + (N−1) B/β.
 */
export async function scatterBinomial(ctx: MessageCtx, blocks: readonly Uint8Array[] | undefined, root: number): Promise<Uint8Array> {
  const { rank, size } = ctx;
  const rel = toRelative(rank, root, size);
  let mine: Uint8Array[]; // blocks of relative ranks rel .. rel + mine.length - 1
  let mask: number;
  if (rel === 0) {
    if (!blocks || blocks.length !== size) throw new FmiError('invalid-argument', 'scatter: the root needs one block per rank', { field: 'data' });
    mine = new Array<Uint8Array>(size);
    for (let i = 0; i < size; i++) mine[i] = blocks[fromRelative(i, root, size)];
    mask = ceilPow2(size) >> 1;
  } else {
    const low = rel & -rel; // the round in which this rank is reached; its subtree has `low` ranks
    mine = unpackBlocks(await ctx.recv(fromRelative(rel - low, root, size), 0));
    const expected = Math.min(low, size - rel);
    if (mine.length !== expected) throw new FmiError('protocol', `scatter: expected ${expected} blocks from the parent, got ${mine.length}`);
    mask = low >> 1;
  }
  const sends: Promise<void>[] = [];
  for (; mask > 0; mask >>= 1) {
    if (rel + mask < size) {
      const part = mine.slice(mask, Math.min(2 * mask, size - rel));
      sends.push(ctx.send(fromRelative(rel + mask, root, size), 0, packBlocks(part)));
    }
  }
  await Promise.all(sends);
  return mine[0];
}

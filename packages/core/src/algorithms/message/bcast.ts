import { ceilPow2, fromRelative, type MessageCtx, toRelative } from '../context.js';

/**
 * Binomial-tree broadcast, in place: the root's bytes end up in every rank's `data`.
 *
 * Steps: ⌈log2 N⌉ rounds; in round k, every rank that already has the data sends it to the rank
 * 2^k further on (relative to the root). Per rank: receives once (B bytes), sends up to
 * ⌈log2 N⌉ times; the root sends B·⌈log2 N⌉ bytes. Time ≈ ⌈log2 N⌉ (α + B/β).
 * Non-roots receive straight into `data` (no copy).
 */
export async function bcastBinomial(ctx: MessageCtx, data: Uint8Array, root: number): Promise<void> {
  const { rank, size } = ctx;
  if (size === 1) return;
  const rel = toRelative(rank, root, size);
  // The lowest set bit of rel is the round in which this rank receives; the root "receives" at the top.
  let mask = 1;
  while (mask < size) {
    if (rel & mask) {
      await ctx.recv(fromRelative(rel - mask, root, size), 0, data);
      break;
    }
    mask <<= 1;
  }
  // Send to the subtrees below this rank, largest first (they have the most forwarding left to do).
  mask = rel === 0 ? ceilPow2(size) >> 1 : mask >> 1;
  const sends: Promise<void>[] = [];
  for (; mask > 0; mask >>= 1) {
    if (rel + mask < size) sends.push(ctx.send(fromRelative(rel + mask, root, size), 0, data));
  }
  await Promise.all(sends);
}

import type { MessageCtx } from '../context.js';

const EMPTY = new Uint8Array(0);

/**
 * Dissemination barrier (Hensgen, Finkel, Manber). In round k every rank signals rank + 2^k and
 * waits for rank − 2^k (mod N). After ⌈log2 N⌉ rounds every rank has transitively heard from all.
 * Per rank: ⌈log2 N⌉ empty messages sent and received. Time ≈ ⌈log2 N⌉ α.
 */
export async function barrierDissemination(ctx: MessageCtx): Promise<void> {
  const { rank, size } = ctx;
  for (let dist = 1, step = 0; dist < size; dist <<= 1, step++) {
    await Promise.all([ctx.send((rank + dist) % size, step, EMPTY), ctx.recv((rank - dist + size) % size, step)]);
  }
}

import type { MessageCtx } from '../context.js';

/**
 * Pairwise-exchange alltoall: in step s (1..N−1) each rank sends its block for rank + s and
 * receives the block from rank − s, so every pair exchanges exactly once and no rank is hit by
 * two senders in one step. Per rank N−1 messages of B/N bytes each way.
 * Time ≈ (N−1)(α + (B/N)/β). `slots[i]`, when given, is where the block from rank i lands.
 */
export async function alltoallPairwise(ctx: MessageCtx, blocks: readonly Uint8Array[], slots?: readonly Uint8Array[]): Promise<Uint8Array[]> {
  const { rank, size } = ctx;
  const out = new Array<Uint8Array>(size);
  out[rank] = blocks[rank];
  for (let s = 1; s < size; s++) {
    const to = (rank + s) % size;
    const from = (rank - s + size) % size;
    const [, got] = await Promise.all([ctx.send(to, s, blocks[to]), ctx.recv(from, s, slots?.[from])]);
    out[from] = got;
  }
  return out;
}

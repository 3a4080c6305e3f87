import { packBlocks, unpackBlocks } from '../../buffers.js';
import { FmiError } from '../../errors.js';
import { floorPow2, type MessageCtx } from '../context.js';

/** Packs some ranks' blocks with their ranks: a u32 rank list as the first block, then the blocks. */
function packIndexed(entries: ReadonlyMap<number, Uint8Array>): Uint8Array {
  const ranks = new Uint32Array([...entries.keys()]);
  return packBlocks([new Uint8Array(ranks.buffer), ...entries.values()]);
}

function unpackIndexed(packed: Uint8Array, into: Map<number, Uint8Array>): void {
  const [head, ...blocks] = unpackBlocks(packed);
  // Copy into fresh memory: `head` may be a Buffer view into a shared pool (Buffer#slice does not copy).
  const ranks = new Uint32Array(Uint8Array.from(head).buffer);
  if (ranks.length !== blocks.length) throw new FmiError('protocol', 'allgather: malformed block set');
  ranks.forEach((r, i) => {
    into.set(r, blocks[i]);
  });
}

/**
 * Recursive-doubling allgather of one block per rank (blocks may differ in length).
 *
 * N not a power of two: the first 2r ranks pair up (r = N − 2^⌊log2 N⌋) and the even one hands its
 * block to the odd one; the 2^⌊log2 N⌋ others exchange everything they hold with the partner at
 * distance 1, 2, 4, ..., doubling what they hold each round; the odd ranks finally hand the full
 * set back. Steps: ⌊log2 N⌋ (+2) rounds; bytes received ≈ (N−1)·B. Time ≈ ⌈log2 N⌉ α + (N−1) B/β.
 */
export async function allgatherRecursiveDoubling(ctx: MessageCtx, block: Uint8Array): Promise<Uint8Array[]> {
  const { rank, size } = ctx;
  const have = new Map<number, Uint8Array>([[rank, block]]);
  if (size === 1) return [block];
  const pof2 = floorPow2(size);
  const rem = size - pof2;
  let newRank: number;
  if (rank < 2 * rem) {
    if (rank % 2 === 0) {
      await ctx.send(rank + 1, 0, block);
      newRank = -1;
    } else {
      have.set(rank - 1, await ctx.recv(rank - 1, 0));
      newRank = rank >> 1;
    }
  } else {
    newRank = rank - rem;
  }
  if (newRank >= 0) {
    for (let mask = 1, step = 1; mask < pof2; mask <<= 1, step++) {
      const partnerNew = newRank ^ mask;
      const partner = partnerNew < rem ? partnerNew * 2 + 1 : partnerNew + rem;
      const [, got] = await Promise.all([ctx.send(partner, step, packIndexed(have)), ctx.recv(partner, step)]);
      unpackIndexed(got, have);
    }
  }
  if (rank < 2 * rem) {
    if (rank % 2 === 1) await ctx.send(rank - 1, 64, packIndexed(have));
    else unpackIndexed(await ctx.recv(rank + 1, 64), have);
  }
  const out = new Array<Uint8Array>(size);
  for (let r = 0; r < size; r++) {
    const b = have.get(r);
    if (!b) throw new FmiError('protocol', `allgather: block of rank ${r} missing`);
    out[r] = b;
  }
  return out;
}

/**
 * Ring allgather, bandwidth-optimal for large blocks: N−1 steps; in step s each rank passes the
 * block it received in step s−1 (its own first) to its right neighbour. Per rank (N−1) messages,
 * (N−1)·B bytes each way, no copies when `slots` gives each block's final place.
 * Time ≈ (N−1)(α + B/β).
 */
export async function allgatherRing(ctx: MessageCtx, block: Uint8Array, slots?: readonly Uint8Array[]): Promise<Uint8Array[]> {
  const { rank, size } = ctx;
  const out = new Array<Uint8Array>(size);
  out[rank] = block;
  const right = (rank + 1) % size;
  const left = (rank - 1 + size) % size;
  for (let s = 0; s < size - 1; s++) {
    const sendIdx = (rank - s + size) % size;
    const recvIdx = (rank - s - 1 + size) % size;
    const [, got] = await Promise.all([ctx.send(right, s, out[sendIdx]), ctx.recv(left, s, slots?.[recvIdx])]);
    out[recvIdx] = got;
  }
  return out;
}

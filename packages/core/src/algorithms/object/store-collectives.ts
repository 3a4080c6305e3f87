import type { TypedArray } from '../../buffers.js';
import { applyKernel, type ResolvedOp } from '../../ops/reduce-op.js';
import type { ObjectCtx } from '../context.js';
import { bytesOf, foldInOrder, viewLike } from '../reduction.js';

/*
 * Collectives over an object store, after FMI's patterns: a store has no fan-out cost and every
 * request is billed, so the algorithms use one round of puts and one round of gets where they can
 * (latency 2 requests deep) instead of log N message rounds. Request counts below are for the whole
 * job; "depth" is the number of request round trips on the critical path. Objects read by one rank
 * are deleted by that reader right after (in the background); objects read by several ranks are
 * deleted when the communicator closes.
 */

/** Broadcast: the root puts one object, every other rank gets it. 1 put + (N−1) gets; depth 2. */
export async function objBcast(ctx: ObjectCtx, data: Uint8Array, root: number): Promise<void> {
  if (ctx.size === 1) return;
  if (ctx.rank === root) await ctx.put('b', data);
  else data.set(await ctx.get('b', false));
}

/**
 * Barrier on an atomic counter: every rank increments; the rank that brings it to N puts a release
 * marker that the others wait for. N increments + 1 put + (N−1) gets; depth 2.
 */
export async function objBarrierCounter(ctx: ObjectCtx): Promise<void> {
  if (ctx.size === 1) return;
  const n = await ctx.increment('n', 1);
  if (n === ctx.size) await ctx.put('go', new Uint8Array(0));
  else await ctx.get('go', false);
}

/**
 * Barrier on markers: every rank puts a marker, then polls the listing of the call's own prefix until
 * it shows N markers. N puts + ≥N lists (one per poll); depth 2 plus the polling delay.
 */
export async function objBarrierMarkers(ctx: ObjectCtx): Promise<void> {
  if (ctx.size === 1) return;
  await ctx.put(`m/${ctx.rank}`, new Uint8Array(0));
  await ctx.waitForCount('m/', ctx.size);
}

/** Gather: every non-root puts its block; the root gets N−1 objects. (N−1) puts + (N−1) gets; depth 2. */
export async function objGather(ctx: ObjectCtx, block: Uint8Array, root: number): Promise<Uint8Array[] | undefined> {
  if (ctx.rank !== root) {
    await ctx.put(`g/${ctx.rank}`, block);
    return undefined;
  }
  return Promise.all(Array.from({ length: ctx.size }, (_, r) => (r === root ? block : ctx.get(`g/${r}`, true))));
}

/** Scatter: the root puts N−1 blocks, each rank gets its own. (N−1) puts + (N−1) gets; depth 2. */
export async function objScatter(ctx: ObjectCtx, blocks: readonly Uint8Array[] | undefined, root: number): Promise<Uint8Array> {
  if (ctx.rank === root) {
    const own = (blocks as readonly Uint8Array[])[root];
    await Promise.all((blocks as readonly Uint8Array[]).map((b, r) => (r === root ? undefined : ctx.put(`s/${r}`, b))));
    return own;
  }
  return ctx.get(`s/${ctx.rank}`, true);
}

/**
 * Reduce: every non-root puts its vector; the root gets them and folds. With a commutative and
 * associative op the root folds each vector as it arrives; otherwise in rank order (left fold).
 * (N−1) puts + (N−1) gets; depth 2; N−1 folds at the root.
 */
export async function objReduce<T extends TypedArray>(ctx: ObjectCtx, data: T, op: ResolvedOp, root: number, name = 'r'): Promise<T | undefined> {
  const { rank, size } = ctx;
  if (rank !== root) {
    await ctx.put(`${name}/${rank}`, bytesOf(data));
    return undefined;
  }
  if (op.commutative && op.associative) {
    const acc = foldInOrder(data, [bytesOf(data)], op);
    await Promise.all(
      Array.from({ length: size }, async (_, r) => {
        if (r === root) return;
        const got = viewLike(data, await ctx.get(`${name}/${r}`, true));
        applyKernel(op, acc, got, acc);
      }),
    );
    return acc;
  }
  const blocks = await Promise.all(Array.from({ length: size }, (_, r) => (r === root ? bytesOf(data) : ctx.get(`${name}/${r}`, true))));
  return foldInOrder(data, blocks, op);
}

/**
 * Allreduce as reduce to rank 0 + broadcast of the result (FMI's store pattern).
 * 2(N−1) + 1 puts/gets... precisely: (N−1) puts + (N−1) gets + 1 put + (N−1) gets; depth 4.
 */
export async function objAllreduceReduceBcast<T extends TypedArray>(ctx: ObjectCtx, data: T, op: ResolvedOp): Promise<T> {
  const reduced = await objReduce(ctx, data, op, 0);
  if (ctx.rank === 0) {
    const out = reduced as T;
    if (ctx.size > 1) await ctx.put('a', bytesOf(out));
    return out;
  }
  return foldInOrder(data, [await ctx.get('a', false)], op);
}

/**
 * Scatter-reduce allreduce for large vectors: each rank puts block j of its vector for rank j,
 * reduces block `rank` from everyone (rank order), puts the result, and gets every other reduced
 * block. Spreads the bytes over all ranks instead of funnelling them through one.
 * N(N−1) puts + N(N−1) gets for the first phase, N puts + N(N−1) gets for the second; depth 4;
 * bytes per rank ≈ 2(N−1)/N · B each way.
 */
export async function objAllreduceScatterReduce<T extends TypedArray>(
  ctx: ObjectCtx,
  data: T,
  op: ResolvedOp,
  layout: { counts: number[]; offsets: number[] },
): Promise<T> {
  const { rank, size } = ctx;
  const { counts, offsets } = layout;
  const block = (buf: T, j: number) => buf.subarray(offsets[j], offsets[j] + counts[j]) as T;
  await Promise.all(Array.from({ length: size }, (_, j) => (j === rank ? undefined : ctx.put(`x/${j}/${rank}`, bytesOf(block(data, j))))));
  const mine = block(data, rank);
  const parts = await Promise.all(Array.from({ length: size }, (_, i) => (i === rank ? bytesOf(mine) : ctx.get(`x/${rank}/${i}`, true))));
  const reduced = foldInOrder(mine, parts, op);
  const out = foldInOrder(data, [bytesOf(data)], op); // a copy to fill in
  out.set(reduced as never, offsets[rank]);
  await ctx.put(`y/${rank}`, bytesOf(reduced));
  await Promise.all(
    Array.from({ length: size }, async (_, j) => {
      if (j === rank) return;
      out.set(viewLike(mine, await ctx.get(`y/${j}`, false)) as never, offsets[j]);
    }),
  );
  return out;
}

/** Allgather: every rank puts its block and gets the N−1 others. N puts + N(N−1) gets; depth 2. */
export async function objAllgather(ctx: ObjectCtx, block: Uint8Array): Promise<Uint8Array[]> {
  const { rank, size } = ctx;
  if (size > 1) await ctx.put(`ag/${rank}`, block);
  return Promise.all(Array.from({ length: size }, (_, r) => (r === rank ? block : ctx.get(`ag/${r}`, false))));
}

/** Alltoall: every rank puts N−1 blocks (one per peer) and gets the N−1 meant for it. N(N−1) puts and gets; depth 2. */
export async function objAlltoall(ctx: ObjectCtx, blocks: readonly Uint8Array[]): Promise<Uint8Array[]> {
  const { rank, size } = ctx;
  await Promise.all(blocks.map((b, j) => (j === rank ? undefined : ctx.put(`aa/${j}/${rank}`, b))));
  return Promise.all(Array.from({ length: size }, (_, i) => (i === rank ? blocks[rank] : ctx.get(`aa/${rank}/${i}`, true))));
}

/**
 * Reduce-scatter: every rank puts block j of its vector for rank j, then gets block `rank` from
 * everyone and folds in rank order. N(N−1) puts and gets; depth 2.
 */
export async function objReduceScatter<T extends TypedArray>(ctx: ObjectCtx, data: T, op: ResolvedOp, blockLen: number): Promise<T> {
  const { rank, size } = ctx;
  const block = (j: number) => data.subarray(j * blockLen, (j + 1) * blockLen) as T;
  await Promise.all(Array.from({ length: size }, (_, j) => (j === rank ? undefined : ctx.put(`rs/${j}/${rank}`, bytesOf(block(j))))));
  const parts = await Promise.all(Array.from({ length: size }, (_, i) => (i === rank ? bytesOf(block(rank)) : ctx.get(`rs/${rank}/${i}`, true))));
  return foldInOrder(block(rank), parts, op);
}

/**
 * Prefix reduction (FMI's store scan): every rank but the last puts its vector; rank i gets the
 * vectors of ranks 0..i−1 and folds them in rank order. (N−1) puts + N(N−1)/2 gets; depth 2.
 */
export async function objScan<T extends TypedArray>(ctx: ObjectCtx, data: T, op: ResolvedOp, exclusive: boolean): Promise<T | undefined> {
  const { rank, size } = ctx;
  if (rank < size - 1) await ctx.put(`sc/${rank}`, bytesOf(data));
  if (rank === 0) return exclusive ? undefined : foldInOrder(data, [bytesOf(data)], op);
  const lower = await Promise.all(Array.from({ length: rank }, (_, r) => ctx.get(`sc/${r}`, false)));
  return foldInOrder(data, exclusive ? lower : [...lower, bytesOf(data)], op);
}

import { deserialize, serialize } from 'node:v8';
import type { MessageCtx, ObjectCtx } from './algorithms/context.js';
import { allgatherRecursiveDoubling, allgatherRing } from './algorithms/message/allgather.js';
import { allreduceRecursiveDoubling, allreduceReduceBcast, allreduceRing, reduceScatterRingInPlace, shifted } from './algorithms/message/allreduce.js';
import { alltoallPairwise } from './algorithms/message/alltoall.js';
import { barrierDissemination } from './algorithms/message/barrier.js';
import { bcastBinomial } from './algorithms/message/bcast.js';
import { gatherBinomial, scatterBinomial } from './algorithms/message/gather-scatter.js';
import { reduceBinomial, reduceGatherFold } from './algorithms/message/reduce.js';
import { scanChain, scanRecursiveDoubling } from './algorithms/message/scan.js';
import * as store from './algorithms/object/store-collectives.js';
import { foldInOrder } from './algorithms/reduction.js';
import type { CommStats, Communicator, OpName, OpOptions, OutOptions, P2POptions, PlanEntry, PlanQuery } from './api.js';
import { allocLike, blockLayout, bytesOf, cloneBuf, type DType, dtypeOf, type TypedArray, viewLike } from './buffers.js';
import type { MessageChannel, ObjectChannel } from './channel.js';
import type { Hint } from './config/schema.js';
import { FmiError, invalidArgument } from './errors.js';
import type { Choice } from './model/policy.js';
import { type ReduceOp, resolveOp } from './ops/reduce-op.js';
import type { Session } from './session.js';
import { Deadline } from './util/deadline.js';
import { pollUntil } from './util/poll.js';

const MAX_TAG = 2 ** 31 - 1;

/** One call in flight: its sequence number, deadline and the channel the policy chose. */
interface Call {
  readonly seq: number;
  readonly deadline: Deadline;
  readonly choice: Choice;
  readonly consumed: string[];
}

/**
 * The communicator: argument checks, sequence numbers, the policy's choice per call, and the
 * dispatch to the algorithm. Every rank numbers its collective calls identically (`seq`), so the
 * tags and keys of one call never meet another's, even when calls overlap (`Promise.all`).
 */
export class CommunicatorImpl implements Communicator {
  readonly job: string;
  readonly channels: readonly string[];
  private seq = 0;
  private closed = false;
  private readonly sendCounts = new Map<string, number>();
  private readonly recvCounts = new Map<string, number>();
  private readonly pendingDeletes = new Set<Promise<void>>();

  constructor(
    private readonly session: Session,
    readonly id: string,
    readonly rank: number,
    readonly size: number,
    /** World rank of each rank of this communicator. */
    private readonly worldRanks: readonly number[],
  ) {
    this.job = session.job;
    this.channels = session.channels.map((c) => c.name);
  }

  // ---------------------------------------------------------------- point to point

  async send(data: TypedArray, dest: number, options: P2POptions = {}): Promise<void> {
    dtypeOf(data, 'data');
    this.checkPeer(dest, 'dest');
    const tag = this.checkTag(options.tag);
    await this.p2pSend(bytesOf(data), dest, tag, data.byteLength, options);
  }

  async recv<T extends TypedArray>(into: T, source: number, options: P2POptions = {}): Promise<T> {
    dtypeOf(into, 'into');
    this.checkPeer(source, 'source');
    const tag = this.checkTag(options.tag);
    await this.p2pRecv(source, tag, bytesOf(into), into.byteLength, options);
    return into;
  }

  async sendValue(value: unknown, dest: number, options: P2POptions = {}): Promise<void> {
    this.checkPeer(dest, 'dest');
    const tag = this.checkTag(options.tag);
    // The receiver cannot know the size, so both sides plan for an unknown (zero) size.
    await this.p2pSend(serializeValue(value), dest, tag, 0, options);
  }

  async recvValue<V = unknown>(source: number, options: P2POptions = {}): Promise<V> {
    this.checkPeer(source, 'source');
    const tag = this.checkTag(options.tag);
    return deserializeValue(await this.p2pRecv(source, tag, undefined, 0, options)) as V;
  }

  private async p2pSend(bytes: Uint8Array, dest: number, tag: number, planBytes: number, options: OpOptions): Promise<void> {
    this.checkOpen();
    const choice = this.choose('send', planBytes, options, true, true);
    const deadline = this.deadline(`send to rank ${dest} (tag ${tag})`, options);
    const started = Date.now();
    try {
      const t = choice.target;
      if (t.channel.kind === 'message') {
        await t.channel.send(this.worldRanks[dest], `${this.id}:p${tag}`, bytes, { deadline });
        this.count(choice, { messages: 1, bytesOut: bytes.byteLength });
      } else {
        const k = `${dest}:${tag}`;
        const n = this.sendCounts.get(k) ?? 0;
        this.sendCounts.set(k, n + 1);
        await t.channel.put(`${this.id}/p/${this.rank}/${dest}/${tag}/${n}`, bytes, { deadline });
        this.count(choice, { bytesOut: bytes.byteLength, requests: { put: 1 } });
      }
    } finally {
      this.finish(choice, started, deadline);
    }
  }

  private async p2pRecv(source: number, tag: number, into: Uint8Array | undefined, planBytes: number, options: OpOptions): Promise<Uint8Array> {
    this.checkOpen();
    const choice = this.choose('send', planBytes, options, true, true);
    const deadline = this.deadline(`recv from rank ${source} (tag ${tag})`, options);
    const started = Date.now();
    try {
      const t = choice.target;
      if (t.channel.kind === 'message') {
        const got = await t.channel.recv(this.worldRanks[source], `${this.id}:p${tag}`, { deadline, into });
        this.count(choice, { bytesIn: got.byteLength });
        return got;
      }
      const k = `${source}:${tag}`;
      const n = this.recvCounts.get(k) ?? 0;
      this.recvCounts.set(k, n + 1);
      const key = `${this.id}/p/${source}/${this.rank}/${tag}/${n}`;
      const got = await t.channel.get(key, { deadline, wait: true });
      if (!got) throw new FmiError('protocol', `[${t.name}] get(wait) returned nothing for ${key}`, { channel: t.name });
      this.count(choice, { bytesIn: got.byteLength, requests: { get: 1 } });
      this.deleteLater(t.channel, [key]);
      if (into) {
        if (got.byteLength !== into.byteLength) {
          throw new FmiError('invalid-argument', `recv: message from rank ${source} has ${got.byteLength} bytes, the buffer ${into.byteLength}`, {
            field: 'into',
          });
        }
        into.set(got);
        return into;
      }
      return got;
    } finally {
      this.finish(choice, started, deadline);
    }
  }

  // ---------------------------------------------------------------- collectives

  async bcast<T extends TypedArray>(buf: T, root = 0, options: OpOptions = {}): Promise<T> {
    dtypeOf(buf, 'buf');
    this.checkPeer(root, 'root');
    await this.bcastBytes(bytesOf(buf), root, options);
    return buf;
  }

  private async bcastBytes(bytes: Uint8Array, root: number, options: OpOptions, op: OpName = 'bcast'): Promise<void> {
    await this.collective(op, bytes.byteLength, options, true, true, async (call) => {
      if (call.choice.target.channel.kind === 'message') await bcastBinomial(this.msgCtx(call), bytes, root);
      else await store.objBcast(this.objCtx(call), bytes, root);
    });
  }

  async bcastValue<V>(value: V | undefined, root = 0, options: OpOptions = {}): Promise<V> {
    this.checkPeer(root, 'root');
    const payload = this.rank === root ? serializeValue(value) : undefined;
    const len = new Float64Array([payload ? payload.byteLength : 0]);
    await this.bcast(len, root, options);
    const bytes = payload ?? new Uint8Array(len[0]);
    await this.bcastBytes(bytes, root, options);
    return this.rank === root ? (value as V) : (deserializeValue(bytes) as V);
  }

  async barrier(options: OpOptions = {}): Promise<void> {
    await this.collective('barrier', 0, options, true, true, async (call) => {
      if (call.choice.target.channel.kind === 'message') await barrierDissemination(this.msgCtx(call));
      else if (call.choice.algorithm === 'counter') await store.objBarrierCounter(this.objCtx(call));
      else await store.objBarrierMarkers(this.objCtx(call));
    });
  }

  async gather<T extends TypedArray>(data: T, root = 0, options: OutOptions<T> = {}): Promise<T | undefined> {
    const dtype = dtypeOf(data, 'data');
    this.checkPeer(root, 'root');
    if (this.rank === root) this.checkOut(options.out, dtype, data.length * this.size);
    data = detached(data, options.out);
    const blocks = await this.gatherBlocks(bytesOf(data), root, data.byteLength, options);
    if (!blocks) return undefined;
    return concatInto(data, blocks, options.out);
  }

  async gatherValues<V>(value: V, root = 0, options: OpOptions = {}): Promise<V[] | undefined> {
    this.checkPeer(root, 'root');
    const blocks = await this.gatherBlocks(serializeValue(value), root, 0, options);
    return blocks?.map((b) => deserializeValue(b) as V);
  }

  private gatherBlocks(block: Uint8Array, root: number, planBytes: number, options: OpOptions): Promise<Uint8Array[] | undefined> {
    return this.collective('gather', planBytes, options, true, true, (call) =>
      call.choice.target.channel.kind === 'message' ? gatherBinomial(this.msgCtx(call), block, root) : store.objGather(this.objCtx(call), block, root),
    );
  }

  async scatter<T extends TypedArray>(data: T | undefined, out: T, root = 0, options: OpOptions = {}): Promise<T> {
    const dtype = dtypeOf(out, 'out');
    this.checkPeer(root, 'root');
    let blocks: Uint8Array[] | undefined;
    if (this.rank === root) {
      if (data === undefined || data === null) throw invalidArgument('data', 'the root of scatter must pass the data to scatter');
      if (dtypeOf(data, 'data') !== dtype) throw invalidArgument('out', `out is ${dtype} but data is ${dtypeOf(data)}`);
      if (data.length !== out.length * this.size)
        throw invalidArgument('data', `expected ${out.length * this.size} elements (size × out.length), got ${data.length}`);
      const whole = bytesOf(detached(data, out));
      const b = out.byteLength;
      blocks = Array.from({ length: this.size }, (_, r) => whole.subarray(r * b, (r + 1) * b));
    }
    const mine = await this.collective('scatter', out.byteLength, options, true, true, (call) =>
      call.choice.target.channel.kind === 'message' ? scatterBinomial(this.msgCtx(call), blocks, root) : store.objScatter(this.objCtx(call), blocks, root),
    );
    if (mine.byteLength !== out.byteLength) throw new FmiError('protocol', `scatter: got ${mine.byteLength} bytes, expected ${out.byteLength}`);
    bytesOf(out).set(mine);
    return out;
  }

  async reduce<T extends TypedArray>(data: T, op: ReduceOp, root = 0, options: OutOptions<T> = {}): Promise<T | undefined> {
    const dtype = dtypeOf(data, 'data');
    const rop = resolveOp(op, dtype);
    this.checkPeer(root, 'root');
    if (this.rank === root) this.checkOut(options.out, dtype, data.length);
    const result = await this.collective('reduce', data.byteLength, options, rop.commutative, rop.associative, (call) => {
      if (call.choice.target.channel.kind === 'object') return store.objReduce(this.objCtx(call), data, rop, root);
      return call.choice.algorithm === 'binomial' ? reduceBinomial(this.msgCtx(call), data, rop, root) : reduceGatherFold(this.msgCtx(call), data, rop, root);
    });
    return result === undefined ? undefined : into(result, options.out);
  }

  async allreduce<T extends TypedArray>(data: T, op: ReduceOp, options: OutOptions<T> = {}): Promise<T> {
    const dtype = dtypeOf(data, 'data');
    const rop = resolveOp(op, dtype);
    this.checkOut(options.out, dtype, data.length);
    const result = await this.collective('allreduce', data.byteLength, options, rop.commutative, rop.associative, (call) => {
      if (call.choice.target.channel.kind === 'object') {
        const ctx = this.objCtx(call);
        return call.choice.algorithm === 'scatter-reduce'
          ? store.objAllreduceScatterReduce(ctx, data, rop, blockLayout(data.length, this.size))
          : store.objAllreduceReduceBcast(ctx, data, rop);
      }
      const ctx = this.msgCtx(call);
      if (call.choice.algorithm === 'ring') return allreduceRing(ctx, data, rop);
      if (call.choice.algorithm === 'recursive-doubling') return allreduceRecursiveDoubling(ctx, data, rop);
      return allreduceReduceBcast(ctx, data, rop);
    });
    return into(result, options.out);
  }

  async scan<T extends TypedArray>(data: T, op: ReduceOp, options: OutOptions<T> = {}): Promise<T> {
    return (await this.prefix('scan', data, op, options)) as T;
  }

  async exscan<T extends TypedArray>(data: T, op: ReduceOp, options: OutOptions<T> = {}): Promise<T | undefined> {
    return this.prefix('exscan', data, op, options);
  }

  private async prefix<T extends TypedArray>(name: 'scan' | 'exscan', data: T, op: ReduceOp, options: OutOptions<T>): Promise<T | undefined> {
    const dtype = dtypeOf(data, 'data');
    const rop = resolveOp(op, dtype);
    this.checkOut(options.out, dtype, data.length);
    const exclusive = name === 'exscan';
    const result = await this.collective(name, data.byteLength, options, rop.commutative, rop.associative, (call) => {
      if (call.choice.target.channel.kind === 'object') return store.objScan(this.objCtx(call), data, rop, exclusive);
      return call.choice.algorithm === 'recursive-doubling'
        ? scanRecursiveDoubling(this.msgCtx(call), data, rop, exclusive)
        : scanChain(this.msgCtx(call), data, rop, exclusive);
    });
    return result === undefined ? undefined : into(result, options.out);
  }

  async allgather<T extends TypedArray>(data: T, options: OutOptions<T> = {}): Promise<T> {
    const dtype = dtypeOf(data, 'data');
    this.checkOut(options.out, dtype, data.length * this.size);
    data = detached(data, options.out);
    const out = options.out ?? (allocSized(data, data.length * this.size) as T);
    const whole = bytesOf(out);
    const b = data.byteLength;
    const slots = Array.from({ length: this.size }, (_, r) => whole.subarray(r * b, (r + 1) * b));
    const blocks = await this.allgatherBlocks(bytesOf(data), data.byteLength, options, slots);
    blocks.forEach((blk, r) => {
      if (blk.byteLength !== b) throw new FmiError('protocol', `allgather: block of rank ${r} has ${blk.byteLength} bytes, expected ${b}`);
      if (blk !== slots[r]) slots[r].set(blk);
    });
    return out;
  }

  async allgatherValues<V>(value: V, options: OpOptions = {}): Promise<V[]> {
    const blocks = await this.allgatherBlocks(serializeValue(value), 0, options);
    return blocks.map((b) => deserializeValue(b) as V);
  }

  private allgatherBlocks(block: Uint8Array, planBytes: number, options: OpOptions, slots?: Uint8Array[]): Promise<Uint8Array[]> {
    return this.collective('allgather', planBytes, options, true, true, (call) => {
      if (call.choice.target.channel.kind === 'object') return store.objAllgather(this.objCtx(call), block);
      return call.choice.algorithm === 'ring' ? allgatherRing(this.msgCtx(call), block, slots) : allgatherRecursiveDoubling(this.msgCtx(call), block);
    });
  }

  async alltoall<T extends TypedArray>(data: T, options: OutOptions<T> = {}): Promise<T> {
    const dtype = dtypeOf(data, 'data');
    if (data.length % this.size !== 0) throw invalidArgument('data', `length ${data.length} is not a multiple of the communicator size ${this.size}`);
    this.checkOut(options.out, dtype, data.length);
    data = detached(data, options.out);
    const out = options.out ?? (allocSized(data, data.length) as T);
    const b = data.byteLength / this.size;
    const src = bytesOf(data);
    const dst = bytesOf(out);
    const blocks = Array.from({ length: this.size }, (_, r) => src.subarray(r * b, (r + 1) * b));
    const slots = Array.from({ length: this.size }, (_, r) => dst.subarray(r * b, (r + 1) * b));
    const got = await this.collective('alltoall', data.byteLength, options, true, true, (call) =>
      call.choice.target.channel.kind === 'message' ? alltoallPairwise(this.msgCtx(call), blocks, slots) : store.objAlltoall(this.objCtx(call), blocks),
    );
    got.forEach((blk, r) => {
      if (blk.byteLength !== b) throw new FmiError('protocol', `alltoall: block from rank ${r} has ${blk.byteLength} bytes, expected ${b}`);
      if (blk !== slots[r]) slots[r].set(blk);
    });
    return out;
  }

  async reduceScatter<T extends TypedArray>(data: T, op: ReduceOp, options: OutOptions<T> = {}): Promise<T> {
    const dtype = dtypeOf(data, 'data');
    const rop = resolveOp(op, dtype);
    if (data.length % this.size !== 0) throw invalidArgument('data', `length ${data.length} is not a multiple of the communicator size ${this.size}`);
    const blockLen = data.length / this.size;
    this.checkOut(options.out, dtype, blockLen);
    data = detached(data, options.out);
    const result = await this.collective('reduceScatter', data.byteLength, options, rop.commutative, rop.associative, async (call) => {
      if (call.choice.target.channel.kind === 'object') return store.objReduceScatter(this.objCtx(call), data, rop, blockLen);
      const ctx = this.msgCtx(call);
      const mine = (whole: T) => whole.subarray(this.rank * blockLen, (this.rank + 1) * blockLen) as T;
      if (call.choice.algorithm === 'ring') {
        const acc = foldInOrder(data, [bytesOf(data)], rop);
        await reduceScatterRingInPlace(ctx, acc, rop);
        return mine(acc);
      }
      if (call.choice.algorithm === 'recursive-doubling') return mine(await allreduceRecursiveDoubling(ctx, data, rop));
      const reduced = await reduceGatherFold(ctx, data, rop, 0);
      const whole = reduced ? bytesOf(reduced) : undefined;
      const b = blockLen * data.BYTES_PER_ELEMENT;
      const blocks = whole ? Array.from({ length: this.size }, (_, r) => whole.subarray(r * b, (r + 1) * b)) : undefined;
      return viewLike(data, await scatterBinomial(shifted(ctx, 100), blocks, 0));
    });
    return into(result, options.out);
  }

  async split(color: number | undefined, key = 0, options: OpOptions = {}): Promise<Communicator | undefined> {
    if (color !== undefined && (!Number.isInteger(color) || color > MAX_TAG))
      throw invalidArgument('color', 'must be an integer (negative or undefined: not in any new communicator)');
    if (!Number.isInteger(key)) throw invalidArgument('key', 'must be an integer');
    const seq = this.seq; // the allgather below takes this number; the id is derived from it
    const all = await this.allgatherValues<[number, number]>([color === undefined || color < 0 ? -1 : color, key], options);
    if (color === undefined || color < 0) return undefined;
    const members = all
      .map(([c, k], r) => ({ c, k, r }))
      .filter((m) => m.c === color)
      .sort((a, b) => a.k - b.k || a.r - b.r);
    const newRank = members.findIndex((m) => m.r === this.rank);
    return new CommunicatorImpl(
      this.session,
      `${this.id}.${seq}.${color}`,
      newRank,
      members.length,
      members.map((m) => this.worldRanks[m.r]),
    );
  }

  // ---------------------------------------------------------------- introspection

  plan(query: PlanQuery): PlanEntry[] {
    if (typeof query !== 'object' || query === null) throw invalidArgument('query', 'expected { op, bytes }');
    if (!Number.isFinite(query.bytes) || query.bytes < 0) throw invalidArgument('bytes', 'must be a non-negative number');
    const hint = query.hint ?? this.session.config.hint;
    return this.session
      .plan(query.op, query.bytes, this.size, hint, query.commutative ?? true, query.associative ?? true, query.channel ?? this.session.config.channel)
      .map(({ channel, algorithm, timeMs, cost, requests, rank }) => ({ channel, algorithm, timeMs, cost, requests, rank }));
  }

  stats(): CommStats {
    return {
      rank: this.rank,
      size: this.size,
      calls: this.session.calls,
      channels: this.session.channelUse(),
      choices: Object.fromEntries(this.session.choices),
    };
  }

  async close(options: OpOptions = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const world = this.id === 'w';
    const deadline = this.deadline(`close of communicator ${this.id}`, options);
    const log = this.session.logger;
    try {
      await Promise.allSettled([...this.pendingDeletes]);
      for (const t of this.session.channels) {
        try {
          if (t.channel.kind === 'message') await this.closeMessage(t.channel, deadline);
          else await this.closeObject(t.channel, deadline, world);
        } catch (err) {
          log.warn(`close: ${t.name} did not finish cleanly; objects may remain until their TTL or \`fmi gc --job ${this.job}\``, {
            error: (err as Error).message,
          });
        }
      }
    } finally {
      deadline.dispose();
      if (world && this.session.statsFile) await this.writeStats(this.session.statsFile);
      if (world) {
        await Promise.allSettled(
          this.session.channels.map(async (t) => {
            try {
              await t.channel.close();
            } catch (err) {
              log.warn(`close: ${t.name} failed to close`, { error: (err as Error).message });
            }
          }),
        );
      }
    }
  }

  /** Leaves this rank's usage where a launcher can sum it up (`fmi run`'s summary). Never fails the close. */
  private async writeStats(file: string): Promise<void> {
    try {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(file, JSON.stringify({ job: this.job, ...this.stats() }));
    } catch (err) {
      this.session.logger.warn(`could not write stats to ${file}`, { error: (err as Error).message });
    }
  }

  /** Message channels: a barrier, so no rank tears down connections a peer still reads from. */
  private async closeMessage(channel: MessageChannel, deadline: Deadline): Promise<void> {
    if (this.size === 1) return;
    const base = `${this.id}:z`;
    await barrierDissemination({
      rank: this.rank,
      size: this.size,
      send: (peer, step, data) => channel.send(this.worldRanks[peer], `${base}.${step}`, data, { deadline }),
      recv: (peer, step, into) => channel.recv(this.worldRanks[peer], `${base}.${step}`, { deadline, into }),
    });
  }

  /**
   * Object channels: every rank but 0 puts a "finished" marker; rank 0 reads them all (so everyone
   * is done with every object, including the ones several ranks read), then deletes everything
   * under the communicator's prefix (the whole job, for the world communicator).
   */
  private async closeObject(channel: ObjectChannel, deadline: Deadline, world: boolean): Promise<void> {
    const done = (r: number) => `${this.id}/z/${r}`;
    if (this.rank !== 0) {
      await channel.put(done(this.rank), new Uint8Array(0), { deadline });
      return;
    }
    await Promise.all(Array.from({ length: this.size - 1 }, (_, i) => channel.get(done(i + 1), { deadline, wait: true })));
    const keys = await channel.list(world ? '' : `${this.id}/`, { deadline });
    if (keys.length > 0) await channel.delete(keys, { deadline });
  }

  // ---------------------------------------------------------------- machinery

  private async collective<R>(
    op: OpName,
    bytes: number,
    options: OpOptions,
    commutative: boolean,
    associative: boolean,
    run: (call: Call) => Promise<R>,
  ): Promise<R> {
    this.checkOpen();
    const choice = this.choose(op, bytes, options, commutative, associative);
    const seq = this.seq++;
    const deadline = this.deadline(`${op} #${seq} on ${choice.channel}/${choice.algorithm}`, options);
    const call: Call = { seq, deadline, choice, consumed: [] };
    const started = Date.now();
    try {
      return await run(call);
    } finally {
      this.finish(choice, started, deadline);
      if (call.consumed.length > 0 && choice.target.channel.kind === 'object') this.deleteLater(choice.target.channel, call.consumed);
    }
  }

  private choose(op: OpName, bytes: number, options: OpOptions, commutative: boolean, associative: boolean): Choice {
    const hint: Hint = options.hint ?? this.session.config.hint;
    if (hint !== 'fast' && hint !== 'cheap') throw invalidArgument('hint', `must be "fast" or "cheap", got ${String(hint)}`);
    const ranking = this.session.plan(op, bytes, this.size, hint, commutative, associative, options.channel ?? this.session.config.channel);
    const choice = ranking[0];
    if (!choice) {
      throw new FmiError(
        'unsupported',
        `no channel can run ${op} of ${bytes} bytes on ${this.size} ranks (channels: ${this.channels.join(', ')}) — a payload may exceed every channel's size limit`,
        {
          field: 'channel',
        },
      );
    }
    this.session.calls++;
    const key = `${op}:${choice.channel}/${choice.algorithm}`;
    this.session.choices.set(key, (this.session.choices.get(key) ?? 0) + 1);
    const use = this.session.use(choice.channel);
    use.calls++;
    use.estimatedCost += choice.cost / this.size;
    this.session.logger.debug(`${op} ${bytes} B on ${this.size} ranks → ${choice.channel}/${choice.algorithm}`, { timeMs: choice.timeMs, cost: choice.cost });
    return choice;
  }

  private finish(choice: Choice, started: number, deadline: Deadline): void {
    deadline.dispose();
    this.session.use(choice.channel).timeMs += Date.now() - started;
  }

  private count(choice: Choice, c: { messages?: number; bytesOut?: number; bytesIn?: number; requests?: Record<string, number> }): void {
    const use = this.session.use(choice.channel);
    use.messages += c.messages ?? 0;
    use.bytesOut += c.bytesOut ?? 0;
    use.bytesIn += c.bytesIn ?? 0;
    if (c.requests) for (const [k, v] of Object.entries(c.requests)) use.requests[k] = (use.requests[k] ?? 0) + v;
  }

  private deadline(what: string, options: OpOptions): Deadline {
    const ms = options.timeoutMs ?? this.session.config.timeoutMs;
    if (!Number.isFinite(ms) || ms <= 0) throw invalidArgument('timeoutMs', `must be a positive number of ms, got ${String(ms)}`);
    if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw invalidArgument('signal', 'must be an AbortSignal');
    const d = new Deadline(ms, `[rank ${this.rank}] ${what}`, options.signal);
    if (options.signal?.aborted) {
      d.dispose();
      d.throwIfExpired();
    }
    return d;
  }

  private msgCtx(call: Call): MessageCtx {
    const channel = call.choice.target.channel as MessageChannel;
    const base = `${this.id}:${call.seq}:`;
    const { deadline } = call;
    return {
      rank: this.rank,
      size: this.size,
      send: (peer, step, data) => {
        this.count(call.choice, { messages: 1, bytesOut: data.byteLength });
        return channel.send(this.worldRanks[peer], base + step, data, { deadline });
      },
      recv: async (peer, step, into) => {
        const got = await channel.recv(this.worldRanks[peer], base + step, { deadline, into });
        this.count(call.choice, { bytesIn: got.byteLength });
        return got;
      },
    };
  }

  private objCtx(call: Call): ObjectCtx {
    const channel = call.choice.target.channel as ObjectChannel;
    const base = `${this.id}/${call.seq}/`;
    const { deadline } = call;
    const requests = (kind: string, bytesOut = 0, bytesIn = 0) => this.count(call.choice, { requests: { [kind]: 1 }, bytesOut, bytesIn });
    return {
      rank: this.rank,
      size: this.size,
      capabilities: channel.capabilities,
      put: async (name, data) => {
        requests('put', data.byteLength);
        await channel.put(base + name, data, { deadline });
      },
      get: async (name, consume) => {
        const got = await channel.get(base + name, { deadline, wait: true });
        if (!got) throw new FmiError('protocol', `[${channel.name}] get(wait) returned nothing for ${base + name}`, { channel: channel.name });
        requests('get', 0, got.byteLength);
        if (consume) call.consumed.push(base + name);
        return got;
      },
      increment: async (name, by) => {
        if (!channel.increment) throw new FmiError('unsupported', `[${channel.name}] has no atomic counter`, { channel: channel.name });
        requests('increment');
        return channel.increment(base + name, by, { deadline });
      },
      waitForCount: async (prefix, count) => {
        await pollUntil(
          async () => {
            requests('list');
            const keys = await channel.list(base + prefix, { deadline });
            return keys.length >= count ? true : undefined;
          },
          deadline,
          { firstDelayMs: Math.max(1, channel.model.pollDelayMs / 4), maxDelayMs: Math.max(50, channel.model.pollDelayMs * 4) },
        );
      },
    };
  }

  /** Deletes objects read by their only reader, off the critical path; failures are logged and left to close/TTL. */
  private deleteLater(channel: ObjectChannel, keys: string[]): void {
    const deadline = new Deadline(this.session.config.timeoutMs, `delete of ${keys.length} objects`);
    const p = channel
      .delete(keys, { deadline })
      .then(() => {
        const use = this.session.use(channel.name);
        use.requests.delete = (use.requests.delete ?? 0) + keys.length;
      })
      .catch((err: unknown) => {
        this.session.logger.warn(`[${channel.name}] deleting ${keys.length} consumed objects failed; close() or the TTL will remove them`, {
          error: (err as Error).message,
        });
      })
      .finally(() => {
        deadline.dispose();
        this.pendingDeletes.delete(p);
      });
    this.pendingDeletes.add(p);
  }

  private checkOpen(): void {
    if (this.closed) throw new FmiError('closed', `communicator ${this.id} is closed`);
  }

  private checkPeer(r: unknown, field: string): void {
    if (typeof r !== 'number' || !Number.isInteger(r) || r < 0 || r >= this.size) {
      throw invalidArgument(field, `must be an integer rank in 0..${this.size - 1}, got ${String(r)}`);
    }
  }

  private checkTag(tag: unknown): number {
    if (tag === undefined) return 0;
    if (typeof tag !== 'number' || !Number.isInteger(tag) || tag < 0 || tag > MAX_TAG)
      throw invalidArgument('tag', `must be an integer in 0..${MAX_TAG}, got ${String(tag)}`);
    return tag;
  }

  private checkOut(out: TypedArray | undefined, dtype: DType, length: number): void {
    if (out === undefined) return;
    const k = dtypeOf(out, 'out');
    if (k !== dtype) throw invalidArgument('out', `out is ${k} but the data is ${dtype}`);
    if (out.length !== length) throw invalidArgument('out', `out has ${out.length} elements, expected ${length}`);
  }
}

/** True when two buffers share any bytes (an `out` that aliases the input). */
function overlaps(a: TypedArray, b: TypedArray | undefined): boolean {
  if (!b || a.buffer !== b.buffer) return false;
  return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

/** The input itself, or a copy when the result is written over it (algorithms read the input while writing). */
function detached<T extends TypedArray>(data: T, out: T | undefined): T {
  return overlaps(data, out) ? cloneBuf(data) : data;
}

function into<T extends TypedArray>(result: T, out: T | undefined): T {
  if (!out) return result;
  if (out !== result) (out as unknown as { set(a: ArrayLike<number | bigint>): void }).set(result as ArrayLike<number | bigint>);
  return out;
}

function allocSized<T extends TypedArray>(like: T, length: number): T {
  return allocLike(like, length);
}

function concatInto<T extends TypedArray>(like: T, blocks: readonly Uint8Array[], out: T | undefined): T {
  const target = out ?? allocSized(like, like.length * blocks.length);
  const whole = bytesOf(target);
  let offset = 0;
  blocks.forEach((b, r) => {
    if (b.byteLength !== like.byteLength)
      throw new FmiError(
        'protocol',
        `gather: block of rank ${r} has ${b.byteLength} bytes, expected ${like.byteLength} — every rank must pass the same length`,
      );
    whole.set(b, offset);
    offset += b.byteLength;
  });
  return target;
}

function serializeValue(value: unknown): Uint8Array {
  try {
    return serialize(value);
  } catch (cause) {
    throw new FmiError('invalid-argument', `value cannot be serialized (structured clone): ${(cause as Error).message}`, { cause, field: 'value' });
  }
}

function deserializeValue(bytes: Uint8Array): unknown {
  try {
    return deserialize(bytes);
  } catch (cause) {
    throw new FmiError('protocol', `received value cannot be deserialized: ${(cause as Error).message}`, { cause });
  }
}

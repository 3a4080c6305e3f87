import type { TypedArray } from './buffers.js';
import type { ChannelStats } from './channel.js';
import type { Hint } from './config/schema.js';
import type { ReduceOp } from './ops/reduce-op.js';

/** Options every operation takes. */
export interface OpOptions {
  /** Deadline of this call in ms; default from config (`timeoutMs`, FMI_TIMEOUT_MS) or the platform. */
  readonly timeoutMs?: number;
  /** Aborts the call (kind `aborted`). */
  readonly signal?: AbortSignal;
  /** Overrides the communicator's hint for this call. Must be the same on every rank. */
  readonly hint?: Hint;
  /** Forces a channel by name for this call. Must be the same on every rank. */
  readonly channel?: string;
}

export interface P2POptions extends OpOptions {
  /** Message tag, a non-negative integer below 2^31; default 0. */
  readonly tag?: number;
}

export interface OutOptions<T> extends OpOptions {
  /** Write the result here instead of a new buffer (must have the right kind and length). */
  readonly out?: T;
}

/** The operations the policy chooses algorithms for. */
export type OpName =
  | 'send'
  | 'bcast'
  | 'barrier'
  | 'gather'
  | 'scatter'
  | 'reduce'
  | 'allreduce'
  | 'scan'
  | 'exscan'
  | 'allgather'
  | 'alltoall'
  | 'reduceScatter';

export const OP_NAMES: readonly OpName[] = [
  'send',
  'bcast',
  'barrier',
  'gather',
  'scatter',
  'reduce',
  'allreduce',
  'scan',
  'exscan',
  'allgather',
  'alltoall',
  'reduceScatter',
];

/** One (channel, algorithm) candidate as the policy ranks it. */
export interface PlanEntry {
  readonly channel: string;
  readonly algorithm: string;
  /** Predicted wall time of the call, ms. */
  readonly timeMs: number;
  /** Predicted price of the call for the whole job, US$ (requests + transfer + infrastructure + function time). */
  readonly cost: number;
  /** Requests to the store, summed over ranks (object channels). */
  readonly requests: number;
  /** Position in the ranking, 0 = chosen. */
  readonly rank: number;
}

export interface PlanQuery {
  readonly op: OpName;
  /** Bytes of the call's buffer on one rank (as the rank passes it). */
  readonly bytes: number;
  readonly hint?: Hint;
  /** Whether the reduction is commutative and associative (reductions only; default true). */
  readonly commutative?: boolean;
  readonly associative?: boolean;
  readonly channel?: string;
}

export interface ChannelUse {
  readonly calls: number;
  readonly messages: number;
  readonly bytesOut: number;
  readonly bytesIn: number;
  readonly requests: Readonly<Record<string, number>>;
  /** Predicted price of the calls on this channel (model), US$. */
  readonly estimatedCost: number;
  readonly timeMs: number;
  readonly channel?: ChannelStats;
}

export interface CommStats {
  readonly rank: number;
  readonly size: number;
  readonly calls: number;
  /** Per-channel use by this rank. */
  readonly channels: Readonly<Record<string, ChannelUse>>;
  /** How often each (op, channel, algorithm) was chosen. */
  readonly choices: Readonly<Record<string, number>>;
}

/**
 * A group of ranks that communicate. The world communicator comes from `connect()`; `split()`
 * makes sub-communicators. All collectives must be called by every rank of the communicator in
 * the same order with matching arguments (the same root, op, length and hint), as in MPI.
 * Collectives never modify their inputs except `bcast` on non-roots (which receive into the buffer)
 * and `{ out }` buffers.
 */
export interface Communicator {
  readonly rank: number;
  readonly size: number;
  readonly job: string;
  /** Communicator id, unique within the job (`w` for the world, derived ids for splits). */
  readonly id: string;
  /** Names of the channels this communicator may use. */
  readonly channels: readonly string[];

  send(data: TypedArray, dest: number, options?: P2POptions): Promise<void>;
  /** Receives into `into` (whose length must equal the message's) and returns it. */
  recv<T extends TypedArray>(into: T, source: number, options?: P2POptions): Promise<T>;
  sendValue(value: unknown, dest: number, options?: P2POptions): Promise<void>;
  recvValue<V = unknown>(source: number, options?: P2POptions): Promise<V>;

  /** Every rank passes a buffer of the same kind and length; non-roots receive into it. Returns it. */
  bcast<T extends TypedArray>(buf: T, root?: number, options?: OpOptions): Promise<T>;
  bcastValue<V>(value: V | undefined, root?: number, options?: OpOptions): Promise<V>;
  barrier(options?: OpOptions): Promise<void>;
  /** The root gets every rank's buffer concatenated in rank order; other ranks get `undefined`. */
  gather<T extends TypedArray>(data: T, root?: number, options?: OutOptions<T>): Promise<T | undefined>;
  gatherValues<V>(value: V, root?: number, options?: OpOptions): Promise<V[] | undefined>;
  /** The root's `data` (size × out.length elements) is split in rank order; each rank receives its block into `out`. */
  scatter<T extends TypedArray>(data: T | undefined, out: T, root?: number, options?: OpOptions): Promise<T>;
  reduce<T extends TypedArray>(data: T, op: ReduceOp, root?: number, options?: OutOptions<T>): Promise<T | undefined>;
  allreduce<T extends TypedArray>(data: T, op: ReduceOp, options?: OutOptions<T>): Promise<T>;
  /** Inclusive prefix reduction: rank i gets x0 ⊕ ... ⊕ xi. */
  scan<T extends TypedArray>(data: T, op: ReduceOp, options?: OutOptions<T>): Promise<T>;
  /** Exclusive prefix reduction: rank i gets x0 ⊕ ... ⊕ x(i-1); rank 0 gets `undefined`. */
  exscan<T extends TypedArray>(data: T, op: ReduceOp, options?: OutOptions<T>): Promise<T | undefined>;
  allgather<T extends TypedArray>(data: T, options?: OutOptions<T>): Promise<T>;
  allgatherValues<V>(value: V, options?: OpOptions): Promise<V[]>;
  /** `data` holds size blocks of equal length; block j goes to rank j. Returns the blocks received, in rank order. */
  alltoall<T extends TypedArray>(data: T, options?: OutOptions<T>): Promise<T>;
  /** Reduces `data` (size blocks of equal length) across ranks; rank i gets reduced block i. */
  reduceScatter<T extends TypedArray>(data: T, op: ReduceOp, options?: OutOptions<T>): Promise<T>;
  /**
   * Splits into sub-communicators by `color` (ranks with equal color form one, ordered by `key`
   * then by rank). A rank passing `undefined` or a negative color gets `undefined` back.
   */
  split(color: number | undefined, key?: number, options?: OpOptions): Promise<Communicator | undefined>;

  /** The policy's ranking of (channel, algorithm) pairs for a call, best first. */
  plan(query: PlanQuery): PlanEntry[];
  stats(): CommStats;
  /**
   * Collective: waits (bounded) until every rank has finished, deletes what this communicator left
   * in object stores and, for the world communicator, closes the channels.
   */
  close(options?: OpOptions): Promise<void>;
}

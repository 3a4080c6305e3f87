import type { Clock, Logger } from './tokens.js';
import type { Deadline } from './util/deadline.js';

/**
 * The contracts a channel implements. They are deliberately small: a message channel moves
 * bytes between two ranks, an object channel stores and fetches bytes by key. Every collective
 * algorithm lives in core and is built on these primitives only.
 *
 * Peers are world ranks of the job (0..size-1). Keys and tags are strings chosen by core; they are
 * already unique per communicator and operation, and a channel only has to scope them to the job.
 */

export type ChannelKind = 'message' | 'object';

/** What a channel can do, as data: core picks algorithms from it and never inspects concrete classes. */
export interface ChannelCapabilities {
  /** Largest single message (message channels) or object (object channels) in bytes. */
  readonly maxPayloadBytes: number;
  /** Object channels: `increment()` is atomic across ranks. */
  readonly atomicCounter: boolean;
  /** Object channels: `get(key, { wait })` returns when the object lands, without polling. */
  readonly nativeWait: boolean;
  /** Object channels: objects expire on their own after `ttlSeconds`. */
  readonly ttl: boolean;
}

/**
 * Primitive costs of a channel, the input of the performance and cost model. Times in
 * milliseconds, bandwidth in bytes per millisecond (1 MB/s = 1,000 B/ms), prices in US dollars.
 */
export interface ChannelModel {
  /** Fixed time of one message or request (alpha). */
  readonly latencyMs: number;
  /** Sustained throughput of one rank's transfers (beta), bytes per ms. */
  readonly bandwidthBytesPerMs: number;
  /** Requests one rank keeps in flight at once (object channels). */
  readonly concurrency: number;
  /** Extra wait of a polled `get` over a notified one, on average (half the poll interval). */
  readonly pollDelayMs: number;
  /** Price per request by type (object channels). */
  readonly pricePerRequest: Readonly<Partial<Record<ObjectRequest, number>>>;
  /** Price per byte moved, when the service bills transfer. */
  readonly pricePerByte: number;
  /** Price per hour of infrastructure that runs for the job (a Redis node, a rendezvous VM). */
  readonly pricePerHour: number;
  /**
   * Ceiling of all ranks' transfers together, bytes per ms, where one server carries every byte
   * (a Redis node). Absent: transfers of different ranks do not slow each other down.
   */
  readonly aggregateBandwidthBytesPerMs?: number;
}

export type ObjectRequest = 'put' | 'get' | 'list' | 'delete' | 'increment';

/** What `open()` gets: who this endpoint is and the services it may use. */
export interface ChannelOpenContext {
  readonly rank: number;
  readonly size: number;
  readonly job: string;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Deadline for opening (connecting, authenticating, checking the bucket exists). */
  readonly deadline: Deadline;
}

/** Options of every wait on a channel. */
export interface WaitOptions {
  readonly deadline: Deadline;
}

export interface ChannelStats {
  /** Free-form, channel-specific figures (paths per pair, reconnects, polls). Shown by `fmi run`. */
  readonly [key: string]: unknown;
}

interface ChannelBase {
  /** Unique name, as used in config and `{ channel }` options: `direct`, `redis`, `s3`, ... */
  readonly name: string;
  readonly kind: ChannelKind;
  readonly capabilities: ChannelCapabilities;
  readonly model: ChannelModel;
  /** Connects and checks settings. Fails with `config` for wrong settings, `auth` for a refused secret. */
  open(ctx: ChannelOpenContext): Promise<void>;
  /** Releases connections. Called once, after the communicator's own cleanup. */
  close(): Promise<void>;
  /** Optional channel-specific figures. */
  stats?(): ChannelStats;
}

/**
 * Point-to-point bytes between ranks. Messages from one sender with one tag arrive in the order
 * they were sent (MPI non-overtaking). `send` resolves once the bytes are handed to the transport
 * (the caller may then reuse its buffer); `recv` resolves with the next message from `peer` with
 * `tag`. A peer that is gone fails pending and later calls with `peer-lost`.
 */
export interface MessageChannel extends ChannelBase {
  readonly kind: 'message';
  send(peer: number, tag: string, data: Uint8Array, options: WaitOptions): Promise<void>;
  /**
   * `into`, when given, is where the payload should land; the channel may read straight into it.
   * A message whose length differs from `into.byteLength` fails with `protocol`.
   */
  recv(peer: number, tag: string, options: WaitOptions & { into?: Uint8Array }): Promise<Uint8Array>;
}

/**
 * A store of immutable objects addressed by key. Keys are relative to the job; the channel adds
 * its own prefix and the job id, so two jobs never see each other's objects.
 */
export interface ObjectChannel extends ChannelBase {
  readonly kind: 'object';
  put(key: string, data: Uint8Array, options: WaitOptions): Promise<void>;
  /**
   * Fetches an object. With `wait: true` it waits (natively or by polling with backoff) until the
   * object exists or the deadline passes (`timeout`); without it, returns `undefined` when absent.
   */
  get(key: string, options: WaitOptions & { wait: boolean }): Promise<Uint8Array | undefined>;
  /** Deletes objects; absent keys are not an error. */
  delete(keys: readonly string[], options: WaitOptions): Promise<void>;
  /** Keys (relative, as passed to `put`) that start with `prefix`. Lists only under the job. */
  list(prefix: string, options: WaitOptions): Promise<string[]>;
  /** Atomic add, returning the new value. Only when `capabilities.atomicCounter`; else throw `unsupported`. */
  increment?(key: string, by: number, options: WaitOptions): Promise<number>;
}

export type Channel = MessageChannel | ObjectChannel;

/** Defaults for the parts of a model a channel leaves out. */
export function channelModel(partial: Partial<ChannelModel> & Pick<ChannelModel, 'latencyMs' | 'bandwidthBytesPerMs'>): ChannelModel {
  return {
    concurrency: 1,
    pollDelayMs: 0,
    pricePerRequest: {},
    pricePerByte: 0,
    pricePerHour: 0,
    ...partial,
  };
}

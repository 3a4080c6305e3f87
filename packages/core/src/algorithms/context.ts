import type { ChannelCapabilities } from '../channel.js';

/**
 * What a message-channel algorithm sees: its own rank, the communicator size, and send/recv to
 * peers by communicator rank. `step` distinguishes the messages of one collective call; the
 * communicator turns (call, step) into a channel tag, so algorithms never build tags themselves.
 */
export interface MessageCtx {
  readonly rank: number;
  readonly size: number;
  send(peer: number, step: number, data: Uint8Array): Promise<void>;
  /** With `into`, the message must have exactly `into.byteLength` bytes and lands there. */
  recv(peer: number, step: number, into?: Uint8Array): Promise<Uint8Array>;
}

/**
 * What an object-channel algorithm sees. Names are relative to the call (the communicator prefixes
 * them with its id and the call's sequence number).
 */
export interface ObjectCtx {
  readonly rank: number;
  readonly size: number;
  readonly capabilities: ChannelCapabilities;
  put(name: string, data: Uint8Array): Promise<void>;
  /**
   * Waits for an object. `consume` marks it as read by its only reader: it is deleted soon after,
   * in the background. Objects read by several ranks are deleted when the communicator closes.
   */
  get(name: string, consume: boolean): Promise<Uint8Array>;
  /** Atomic counter (only when `capabilities.atomicCounter`). */
  increment(name: string, by: number): Promise<number>;
  /** Waits, polling the listing with backoff, until at least `count` objects exist under `prefix`. */
  waitForCount(prefix: string, count: number): Promise<void>;
}

/** Peer of `rank` in relative numbering around `root`. */
export function toRelative(rank: number, root: number, size: number): number {
  return (rank - root + size) % size;
}

export function fromRelative(rel: number, root: number, size: number): number {
  return (rel + root) % size;
}

/** Largest power of two not above n (n ≥ 1). */
export function floorPow2(n: number): number {
  let p = 1;
  while (p * 2 <= n) p *= 2;
  return p;
}

/** Smallest power of two not below n (n ≥ 1). */
export function ceilPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

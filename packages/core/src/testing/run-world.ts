import type { Communicator } from '../api.js';
import type { Channel } from '../channel.js';
import { type ConnectOptions, connect } from '../connect.js';
import { createMemoryHub, type MemoryHub } from './memory-hub.js';
import { memoryMessageChannel } from './memory-message-channel.js';

export interface RunWorldOptions extends Omit<ConnectOptions, 'rank' | 'size' | 'channels'> {
  /** Endpoints per rank (default: one in-memory message channel each, on a fresh hub). */
  readonly channels?: (rank: number, hub: MemoryHub) => Channel[];
}

/**
 * Runs `fn` on `size` ranks as tasks of this process, each with its own communicator, and closes
 * them all. Resolves with every rank's result in rank order; rejects with the first rank's error.
 * For unit tests and examples of code written against `Communicator`.
 */
export async function runWorld<R>(size: number, fn: (comm: Communicator) => Promise<R>, options: RunWorldOptions = {}): Promise<R[]> {
  const hub = createMemoryHub();
  const job = options.job ?? `mem-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const make = options.channels ?? ((_: number, h: MemoryHub) => [memoryMessageChannel(h)]);
  const comms = await Promise.all(Array.from({ length: size }, (_, rank) => connect({ env: {}, ...options, job, rank, size, channels: make(rank, hub) })));
  try {
    return await Promise.all(comms.map((c) => fn(c)));
  } finally {
    await Promise.all(comms.map((c) => c.close()));
  }
}

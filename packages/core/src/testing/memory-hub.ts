import { FmiError } from '../errors.js';

interface Waiter<T> {
  resolve(value: T): void;
  reject(err: unknown): void;
}

/**
 * The shared "network" and "store" of in-memory channels: ranks are tasks in one process. One hub
 * can carry several jobs; keys and queues are scoped by job like a real store's.
 */
export class MemoryHub {
  /** Message queues by `job|from>to|tag`. */
  readonly queues = new Map<string, Uint8Array[]>();
  readonly receivers = new Map<string, Waiter<Uint8Array>[]>();
  /** Objects by `job/key`. */
  readonly objects = new Map<string, Uint8Array>();
  readonly objectWaiters = new Map<string, Waiter<Uint8Array>[]>();
  readonly counters = new Map<string, number>();
  /** Ranks that vanished, by `job|rank` (or `*|rank` for every job). */
  private readonly dead = new Set<string>();
  /** Endpoints alive, for failing their pending receives when a peer dies. */
  readonly endpoints = new Set<{ job: string; rank: number; onPeerLost(rank: number): void }>();

  /** Object keys left under a job (relative to the job), sorted. */
  keys(job: string): string[] {
    const prefix = `${job}/`;
    return [...this.objects.keys()]
      .filter((k) => k.startsWith(prefix))
      .map((k) => k.slice(prefix.length))
      .sort();
  }

  /** Makes `rank` vanish abruptly (in `job`, or in every job): its peers see `peer-lost`. */
  kill(rank: number, job?: string): void {
    this.dead.add(`${job ?? '*'}|${rank}`);
    for (const e of this.endpoints) if (job === undefined || e.job === job) e.onPeerLost(rank);
  }

  isDead(job: string, rank: number): boolean {
    return this.dead.has(`*|${rank}`) || this.dead.has(`${job}|${rank}`);
  }

  static lost(peer: number): FmiError {
    return new FmiError('peer-lost', `[memory] rank ${peer} is gone`, { peer, channel: 'memory' });
  }
}

/** A new hub: one per test job (or share one across jobs). */
export function createMemoryHub(): MemoryHub {
  return new MemoryHub();
}

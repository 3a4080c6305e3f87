import { type ChannelCapabilities, type ChannelModel, type ChannelOpenContext, channelModel, type MessageChannel, type WaitOptions } from '../channel.js';
import { FmiError } from '../errors.js';
import type { Deadline } from '../util/deadline.js';
import { MemoryHub } from './memory-hub.js';

export interface MemoryMessageOptions {
  /** Channel name (default `memory-msg`). */
  readonly name?: string;
  readonly maxPayloadBytes?: number;
  readonly model?: Partial<ChannelModel>;
}

/**
 * A message channel between tasks of one process: each send copies the bytes into the receiver's
 * queue for (sender, tag), so order per pair and tag holds and the sender may reuse its buffer.
 */
export class MemoryMessageChannel implements MessageChannel {
  readonly kind = 'message' as const;
  readonly name: string;
  readonly capabilities: ChannelCapabilities;
  readonly model: ChannelModel;
  private job = '';
  private rank = -1;
  private opened = false;
  private readonly endpoint = { job: '', rank: -1, onPeerLost: (peer: number) => this.failPending(peer) };
  private readonly pending = new Map<string, { peer: number; key: string; waiter: { resolve(v: Uint8Array): void; reject(e: unknown): void } }>();
  private nextId = 0;

  constructor(
    private readonly hub: MemoryHub,
    options: MemoryMessageOptions = {},
  ) {
    this.name = options.name ?? 'memory-msg';
    this.capabilities = { maxPayloadBytes: options.maxPayloadBytes ?? 2 ** 31 - 1, atomicCounter: false, nativeWait: true, ttl: false };
    this.model = channelModel({ latencyMs: 0.005, bandwidthBytesPerMs: 5_000_000, ...options.model });
  }

  async open(ctx: ChannelOpenContext): Promise<void> {
    this.job = ctx.job;
    this.rank = ctx.rank;
    this.endpoint.job = ctx.job;
    this.endpoint.rank = ctx.rank;
    this.hub.endpoints.add(this.endpoint);
    this.opened = true;
  }

  async close(): Promise<void> {
    this.opened = false;
    this.hub.endpoints.delete(this.endpoint);
  }

  private checkAlive(peer: number): void {
    if (!this.opened) throw new FmiError('closed', `[${this.name}] channel is not open`);
    if (this.hub.isDead(this.job, this.rank)) throw new FmiError('peer-lost', `[${this.name}] this rank (${this.rank}) was killed`, { peer: this.rank });
    if (this.hub.isDead(this.job, peer)) throw MemoryHub.lost(peer);
  }

  async send(peer: number, tag: string, data: Uint8Array, options: WaitOptions): Promise<void> {
    this.checkAlive(peer);
    options.deadline.throwIfExpired();
    if (data.byteLength > this.capabilities.maxPayloadBytes)
      throw new FmiError('invalid-argument', `[${this.name}] message of ${data.byteLength} bytes exceeds ${this.capabilities.maxPayloadBytes}`);
    const key = `${this.job}|${this.rank}>${peer}|${tag}`;
    const copy = data.slice();
    const waiters = this.hub.receivers.get(key);
    if (waiters && waiters.length > 0) {
      const w = waiters.shift() as { resolve(v: Uint8Array): void };
      if (waiters.length === 0) this.hub.receivers.delete(key);
      w.resolve(copy);
      return;
    }
    let q = this.hub.queues.get(key);
    if (!q) {
      q = [];
      this.hub.queues.set(key, q);
    }
    q.push(copy);
  }

  async recv(peer: number, tag: string, options: WaitOptions & { into?: Uint8Array }): Promise<Uint8Array> {
    const key = `${this.job}|${peer}>${this.rank}|${tag}`;
    const q = this.hub.queues.get(key);
    let got: Uint8Array;
    if (q && q.length > 0) {
      got = q.shift() as Uint8Array;
      if (q.length === 0) this.hub.queues.delete(key);
    } else {
      this.checkAlive(peer);
      got = await this.wait(peer, key, options.deadline);
    }
    if (options.into) {
      if (options.into.byteLength !== got.byteLength) {
        throw new FmiError('protocol', `[${this.name}] message from rank ${peer} has ${got.byteLength} bytes, expected ${options.into.byteLength}`, { peer });
      }
      options.into.set(got);
      return options.into;
    }
    return got;
  }

  private wait(peer: number, key: string, deadline: Deadline): Promise<Uint8Array> {
    const signal = deadline.signal;
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<Uint8Array>((resolve, reject) => {
      const id = String(this.nextId++);
      const cleanup = () => {
        signal.removeEventListener('abort', onAbort);
        this.pending.delete(id);
        const list = this.hub.receivers.get(key);
        if (list) {
          const i = list.indexOf(waiter);
          if (i >= 0) list.splice(i, 1);
          if (list.length === 0) this.hub.receivers.delete(key);
        }
      };
      const waiter = {
        resolve: (v: Uint8Array) => {
          cleanup();
          resolve(v);
        },
        reject: (e: unknown) => {
          cleanup();
          reject(e);
        },
      };
      const onAbort = () => waiter.reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      let list = this.hub.receivers.get(key);
      if (!list) {
        list = [];
        this.hub.receivers.set(key, list);
      }
      list.push(waiter);
      this.pending.set(id, { peer, key, waiter });
    });
  }

  private failPending(peer: number): void {
    for (const p of [...this.pending.values()]) {
      if (p.peer === peer || peer === this.rank) p.waiter.reject(MemoryHub.lost(peer));
    }
  }
}

/** An in-memory message-channel endpoint for one rank. */
export function memoryMessageChannel(hub: MemoryHub, options?: MemoryMessageOptions): MessageChannel {
  return new MemoryMessageChannel(hub, options);
}

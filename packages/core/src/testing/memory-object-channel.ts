import { type ChannelCapabilities, type ChannelModel, type ChannelOpenContext, channelModel, type ObjectChannel, type WaitOptions } from '../channel.js';
import { FmiError } from '../errors.js';
import { pollUntil } from '../util/poll.js';
import type { MemoryHub } from './memory-hub.js';

export interface MemoryObjectOptions {
  /** Channel name (default `memory-obj`). */
  readonly name?: string;
  /** Offer the atomic counter (default true). Off exercises the marker barrier. */
  readonly atomicCounter?: boolean;
  /** Wake waits on put (default true). Off makes `get(wait)` poll with backoff like S3. */
  readonly nativeWait?: boolean;
  readonly maxPayloadBytes?: number;
  readonly model?: Partial<ChannelModel>;
}

/**
 * An object store in process memory, shared by all ranks through the hub. Capabilities are
 * switchable so the conformance suite can drive every code path core has for object stores.
 */
export class MemoryObjectChannel implements ObjectChannel {
  readonly kind = 'object' as const;
  readonly name: string;
  readonly capabilities: ChannelCapabilities;
  readonly model: ChannelModel;
  private job = '';
  private opened = false;
  polls = 0;

  constructor(
    private readonly hub: MemoryHub,
    options: MemoryObjectOptions = {},
  ) {
    this.name = options.name ?? 'memory-obj';
    this.capabilities = {
      maxPayloadBytes: options.maxPayloadBytes ?? 2 ** 31 - 1,
      atomicCounter: options.atomicCounter ?? true,
      nativeWait: options.nativeWait ?? true,
      ttl: false,
    };
    this.model = channelModel({
      latencyMs: 0.01,
      bandwidthBytesPerMs: 2_000_000,
      concurrency: 64,
      pollDelayMs: this.capabilities.nativeWait ? 0 : 1,
      ...options.model,
    });
    if (this.capabilities.atomicCounter) this.increment = this.incrementImpl;
  }

  increment?: (key: string, by: number, options: WaitOptions) => Promise<number>;

  async open(ctx: ChannelOpenContext): Promise<void> {
    this.job = ctx.job;
    this.opened = true;
  }

  async close(): Promise<void> {
    this.opened = false;
  }

  private full(key: string): string {
    if (!this.opened) throw new FmiError('closed', `[${this.name}] channel is not open`);
    return `${this.job}/${key}`;
  }

  async put(key: string, data: Uint8Array, options: WaitOptions): Promise<void> {
    options.deadline.throwIfExpired();
    if (data.byteLength > this.capabilities.maxPayloadBytes)
      throw new FmiError('invalid-argument', `[${this.name}] object of ${data.byteLength} bytes exceeds ${this.capabilities.maxPayloadBytes}`);
    const k = this.full(key);
    const copy = data.slice();
    this.hub.objects.set(k, copy);
    const waiters = this.hub.objectWaiters.get(k);
    if (waiters) {
      this.hub.objectWaiters.delete(k);
      for (const w of waiters) w.resolve(copy);
    }
  }

  async get(key: string, options: WaitOptions & { wait: boolean }): Promise<Uint8Array | undefined> {
    const k = this.full(key);
    // Readers get their own copy, as from a real store: what one rank does to it never reaches another.
    const have = this.hub.objects.get(k)?.slice();
    if (have || !options.wait) return have;
    if (!this.capabilities.nativeWait) {
      return pollUntil(async () => this.hub.objects.get(k)?.slice(), options.deadline, { firstDelayMs: 1, maxDelayMs: 20, onPoll: () => this.polls++ });
    }
    const signal = options.deadline.signal;
    if (signal.aborted) throw signal.reason;
    return new Promise<Uint8Array>((resolve, reject) => {
      const waiter = {
        resolve: (v: Uint8Array) => {
          signal.removeEventListener('abort', onAbort);
          resolve(v.slice());
        },
        reject,
      };
      const onAbort = () => {
        const list = this.hub.objectWaiters.get(k);
        if (list) {
          const i = list.indexOf(waiter);
          if (i >= 0) list.splice(i, 1);
          if (list.length === 0) this.hub.objectWaiters.delete(k);
        }
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      let list = this.hub.objectWaiters.get(k);
      if (!list) {
        list = [];
        this.hub.objectWaiters.set(k, list);
      }
      list.push(waiter);
    });
  }

  async delete(keys: readonly string[], options: WaitOptions): Promise<void> {
    options.deadline.throwIfExpired();
    for (const key of keys) {
      const k = this.full(key);
      this.hub.objects.delete(k);
      this.hub.counters.delete(k);
    }
  }

  async list(prefix: string, options: WaitOptions): Promise<string[]> {
    options.deadline.throwIfExpired();
    const full = this.full(prefix);
    const jobPrefix = `${this.job}/`;
    const out: string[] = [];
    for (const k of this.hub.objects.keys()) if (k.startsWith(full)) out.push(k.slice(jobPrefix.length));
    for (const k of this.hub.counters.keys()) if (k.startsWith(full)) out.push(k.slice(jobPrefix.length));
    return out.sort();
  }

  private async incrementImpl(key: string, by: number, options: WaitOptions): Promise<number> {
    options.deadline.throwIfExpired();
    const k = this.full(key);
    const v = (this.hub.counters.get(k) ?? 0) + by;
    this.hub.counters.set(k, v);
    return v;
  }
}

/** An in-memory object-channel endpoint for one rank. */
export function memoryObjectChannel(hub: MemoryHub, options?: MemoryObjectOptions): ObjectChannel {
  return new MemoryObjectChannel(hub, options);
}

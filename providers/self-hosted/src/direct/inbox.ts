import { type Deadline, FmiError } from '@fmi/core';
import { watchAbort } from './abort-watch.js';
import type { MessageSink } from './data-frame.js';

/**
 * Messages that arrived and receivers that wait, per (peer, tag). Messages of one (peer, tag) are
 * handed out in arrival order (MPI non-overtaking); a message nobody waits for yet is queued until a
 * `recv` asks for it. An empty (peer, tag) entry is removed at once: core uses a fresh tag per
 * operation, so keeping them would grow without bound.
 *
 * A receiver that waits when a message starts arriving is bound to it, and the payload streams
 * straight into the receiver's `into` buffer. If that receiver's deadline fires mid-message, the
 * bytes so far move to a fresh buffer and the message is queued for the next receiver instead.
 */

interface Waiter {
  readonly into: Uint8Array | undefined;
  readonly resolve: (bytes: Uint8Array) => void;
  readonly reject: (error: unknown) => void;
  /** Removes the deadline listener. */
  detach(): void;
  sink: IncomingSink | undefined;
}

interface Slot {
  readonly messages: Uint8Array[];
  readonly waiters: Waiter[];
}

export interface IncomingSink extends MessageSink {
  readonly peer: number;
  readonly tag: string;
  waiter: Waiter | undefined;
}

export class Inbox {
  private readonly slots = new Map<number, Map<string, Slot>>();
  private readonly lost = new Map<number, FmiError>();

  /** The next message from `peer` with `tag`, or the deadline's reason, or the peer's loss. */
  recv(peer: number, tag: string, into: Uint8Array | undefined, deadline: Deadline): Promise<Uint8Array> {
    const slot = this.slots.get(peer)?.get(tag);
    if (slot && slot.messages.length > 0) {
      const bytes = slot.messages.shift() as Uint8Array;
      this.prune(peer, tag, slot);
      try {
        return Promise.resolve(copyOut(bytes, into, peer, tag));
      } catch (e) {
        return Promise.reject(e);
      }
    }
    const lost = this.lost.get(peer);
    if (lost) return Promise.reject(lost);
    const signal = deadline.signal;
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<Uint8Array>((resolve, reject) => {
      const waiter: Waiter = {
        into,
        resolve,
        reject,
        sink: undefined,
        detach: () => unwatch(),
      };
      const onAbort = () => {
        const s = waiter.sink;
        if (s) {
          // Bound to a message in flight: keep its bytes for the next receiver, off the caller's buffer.
          s.waiter = undefined;
          if (s.target === into) {
            const copy = allocMessage(s.length);
            copy.set(into.subarray(0, s.received));
            s.target = copy;
          }
        } else {
          const current = this.slots.get(peer)?.get(tag);
          if (current) {
            const i = current.waiters.indexOf(waiter);
            if (i >= 0) current.waiters.splice(i, 1);
            this.prune(peer, tag, current);
          }
        }
        reject(signal.reason);
      };
      const unwatch = watchAbort(signal, onAbort);
      this.slot(peer, tag).waiters.push(waiter);
    });
  }

  /** A whole message (self-sends); `bytes` is owned by the inbox from now on. */
  deliver(peer: number, tag: string, bytes: Uint8Array): void {
    const slot = this.slot(peer, tag);
    const waiter = slot.waiters.shift();
    if (waiter) {
      this.prune(peer, tag, slot);
      waiter.detach();
      settle(waiter, bytes, peer, tag);
      return;
    }
    slot.messages.push(bytes);
  }

  /** A message header arrived: binds the first waiting receiver, or allocates a buffer to queue. */
  begin(peer: number, tag: string, length: number): IncomingSink {
    const slot = this.slots.get(peer)?.get(tag);
    const waiter = slot && slot.messages.length === 0 ? slot.waiters.shift() : undefined;
    if (slot && waiter) this.prune(peer, tag, slot);
    if (waiter?.into && waiter.into.byteLength !== length) {
      // The receiver asked for a different size: it fails, and this message is consumed by it.
      waiter.detach();
      waiter.reject(lengthMismatch(peer, tag, length, waiter.into.byteLength));
      return { peer, tag, length, received: 0, target: new Uint8Array(0), discard: true, waiter: undefined };
    }
    const target = waiter?.into ?? allocMessage(length);
    const sink: IncomingSink = { peer, tag, length, received: 0, target, discard: false, waiter };
    if (waiter) waiter.sink = sink;
    return sink;
  }

  /** The payload of `sink` is complete. */
  end(sink: IncomingSink): void {
    if (sink.discard) return;
    const waiter = sink.waiter;
    if (waiter) {
      waiter.detach();
      waiter.resolve(sink.target);
      return;
    }
    this.deliver(sink.peer, sink.tag, sink.target);
  }

  /** The connection to `peer` broke mid-message: its bound receiver fails with `error`. */
  abort(sink: IncomingSink, error: FmiError): void {
    const waiter = sink.waiter;
    sink.waiter = undefined;
    if (waiter) {
      waiter.detach();
      waiter.reject(error);
    }
  }

  /**
   * `peer` is gone: every receiver waiting on it fails with `error`, and so will later receives
   * once the messages that did arrive are consumed.
   */
  fail(peer: number, error: FmiError): void {
    if (!this.lost.has(peer)) this.lost.set(peer, error);
    const slots = this.slots.get(peer);
    if (!slots) return;
    for (const [tag, slot] of [...slots]) {
      const waiters = slot.waiters.splice(0);
      this.prune(peer, tag, slot);
      for (const w of waiters) {
        w.detach();
        w.reject(error);
      }
    }
  }

  isLost(peer: number): FmiError | undefined {
    return this.lost.get(peer);
  }

  /** Messages queued and receivers waiting, for stats. */
  counts(): { queued: number; waiting: number } {
    let queued = 0;
    let waiting = 0;
    for (const slots of this.slots.values()) {
      for (const slot of slots.values()) {
        queued += slot.messages.length;
        waiting += slot.waiters.length;
      }
    }
    return { queued, waiting };
  }

  private slot(peer: number, tag: string): Slot {
    let slots = this.slots.get(peer);
    if (!slots) {
      slots = new Map();
      this.slots.set(peer, slots);
    }
    let slot = slots.get(tag);
    if (!slot) {
      slot = { messages: [], waiters: [] };
      slots.set(tag, slot);
    }
    return slot;
  }

  private prune(peer: number, tag: string, slot: Slot): void {
    if (slot.messages.length > 0 || slot.waiters.length > 0) return;
    const slots = this.slots.get(peer);
    if (!slots) return;
    slots.delete(tag);
    if (slots.size === 0) this.slots.delete(peer);
  }
}

/**
 * A buffer for one incoming message: a plain Uint8Array (not a Buffer, whose `slice` is a view, not
 * a copy) that owns its whole ArrayBuffer (not a slice of Node's pool), so code that takes
 * `.buffer` or `.slice()` of a received message gets exactly the message. Not zero-filled: the
 * payload overwrites every byte.
 */
export function allocMessage(length: number): Uint8Array {
  return new Uint8Array(Buffer.allocUnsafeSlow(length).buffer, 0, length);
}

function settle(waiter: Waiter, bytes: Uint8Array, peer: number, tag: string): void {
  try {
    waiter.resolve(copyOut(bytes, waiter.into, peer, tag));
  } catch (e) {
    waiter.reject(e);
  }
}

function copyOut(bytes: Uint8Array, into: Uint8Array | undefined, peer: number, tag: string): Uint8Array {
  if (!into) return bytes;
  if (into.byteLength !== bytes.byteLength) throw lengthMismatch(peer, tag, bytes.byteLength, into.byteLength);
  into.set(bytes);
  return into;
}

function lengthMismatch(peer: number, tag: string, length: number, expected: number): FmiError {
  return new FmiError(
    'protocol',
    `[direct] message from rank ${peer} with tag "${tag}" has ${length} bytes, the receive buffer ${expected} — every rank must pass buffers of the same length`,
    { channel: 'direct', peer },
  );
}

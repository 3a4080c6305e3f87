import type { Socket } from 'node:net';
import { type Deadline, FmiError } from '@fmi/core';
import type { PairPath } from '../rendezvous/protocol.js';
import { watchAbort } from './abort-watch.js';
import { DataFrameDecoder, encodeHeader, type MessageSink } from './data-frame.js';
import type { Inbox, IncomingSink } from './inbox.js';

/**
 * The one data connection between this rank and a peer, whatever path made it. Sends write the
 * header and then the caller's buffer (corked into one writev, no copy) and resolve when the socket
 * has taken the bytes, so the caller may reuse its buffer and a fast sender cannot outrun the
 * network: that is the backpressure. Received frames go to the inbox.
 */
export class PeerLink {
  private readonly decoder: DataFrameDecoder;
  private error: FmiError | undefined;
  private closingByUs = false;
  private readonly closed: Promise<void>;

  constructor(
    readonly peer: number,
    readonly path: PairPath,
    private readonly socket: Socket,
    inbox: Inbox,
    maxPayload: number,
    initial: Buffer,
    onLost: (peer: number, error: FmiError) => void,
  ) {
    const where = `rank ${peer} (${path})`;
    this.decoder = new DataFrameDecoder(
      {
        begin: (tag, length) => inbox.begin(peer, tag, length),
        end: (sink: MessageSink) => inbox.end(sink as IncomingSink),
      },
      maxPayload,
      where,
    );
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    socket.on('error', () => {}); // 'close' follows and carries the loss
    this.closed = new Promise<void>((resolve) => {
      socket.on('close', (hadError) => {
        const error =
          this.error ??
          (this.closingByUs
            ? new FmiError('closed', `[direct] the connection to rank ${peer} was closed by this rank`, { channel: 'direct', peer })
            : new FmiError(
                'peer-lost',
                `[direct] rank ${peer} is gone: its connection (${path}) ${hadError ? 'failed' : 'was closed'} — the rank exited, crashed or closed its communicator`,
                { channel: 'direct', peer },
              ));
        this.error = error;
        const current = this.decoder.current as IncomingSink | undefined;
        if (current) inbox.abort(current, error);
        onLost(peer, error);
        resolve();
      });
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        this.decoder.push(chunk);
      } catch (e) {
        this.error = FmiError.is(e) ? e : new FmiError('protocol', `[direct] ${where}: ${(e as Error).message}`, { cause: e, channel: 'direct', peer });
        socket.destroy();
      }
    });
    if (initial.length > 0) {
      try {
        this.decoder.push(initial);
      } catch (e) {
        this.error = FmiError.is(e) ? e : new FmiError('protocol', String(e));
        socket.destroy();
      }
    }
    socket.resume();
  }

  get isUp(): boolean {
    return this.error === undefined && !this.socket.destroyed;
  }

  get lostError(): FmiError | undefined {
    return this.error;
  }

  /** Writes one message; resolves once the socket has taken every byte of `data`. */
  send(tag: string, tagBytes: number, data: Uint8Array, deadline: Deadline): Promise<void> {
    if (this.error) return Promise.reject(this.error);
    const socket = this.socket;
    const written = new Promise<void>((resolve, reject) => {
      const done = (e?: Error | null) => {
        if (e)
          reject(
            this.error ??
              new FmiError('peer-lost', `[direct] sending to rank ${this.peer} failed: ${e.message}`, { cause: e, channel: 'direct', peer: this.peer }),
          );
        else resolve();
      };
      const header = encodeHeader(tag, tagBytes, data.byteLength);
      if (data.byteLength === 0) {
        socket.write(header, done);
        return;
      }
      socket.cork();
      socket.write(header);
      socket.write(data, done);
      socket.uncork();
    });
    // Everything went to the kernel at once: the callback comes on the next tick, no timer needed.
    if (socket.writableLength === 0) return written;
    const signal = deadline.signal;
    if (signal.aborted) {
      written.catch(() => {});
      return Promise.reject(signal.reason);
    }
    return new Promise<void>((resolve, reject) => {
      const unwatch = watchAbort(signal, () => {
        written.catch(() => {});
        reject(signal.reason);
      });
      written.then(
        () => {
          unwatch();
          resolve();
        },
        (e) => {
          unwatch();
          reject(e);
        },
      );
    });
  }

  /** Flushes what was sent, then closes; waits at most `graceMs` before cutting the connection. */
  async close(graceMs: number): Promise<void> {
    this.closingByUs = true;
    if (!this.socket.destroyed) this.socket.end();
    const timer = setTimeout(() => this.socket.destroy(), graceMs);
    await this.closed;
    clearTimeout(timer);
  }

  /** Cuts the connection at once (tests use it to play a crashed rank). */
  destroy(): void {
    this.closingByUs = true;
    this.socket.destroy();
  }
}

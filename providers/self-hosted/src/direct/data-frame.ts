import { FmiError } from '@fmi/core';

/**
 * Framing of a data connection between two ranks:
 *
 *   tag length u8 | tag (UTF-8, at most 255 bytes) | payload length u32 (big endian) | payload
 *
 * The sender writes the header and then the caller's own buffer (no copy); the receiver bounds both
 * lengths before it allocates anything and streams the payload straight into its destination.
 */

export const MAX_TAG_BYTES = 255;
/** 2 GiB - 1: the largest length a u32 header carries that every Node Buffer API accepts. */
export const MAX_PAYLOAD_BYTES = 2 ** 31 - 1;

export function tagByteLength(tag: string): number {
  return Buffer.byteLength(tag, 'utf8');
}

/** The header of one message. `tagBytes` is `tagByteLength(tag)`, already checked by the caller. */
export function encodeHeader(tag: string, tagBytes: number, payloadBytes: number): Buffer {
  const header = Buffer.allocUnsafe(1 + tagBytes + 4);
  header[0] = tagBytes;
  header.write(tag, 1, tagBytes, 'utf8');
  header.writeUInt32BE(payloadBytes, 1 + tagBytes);
  return header;
}

/** Where an incoming payload goes; the inbox may swap `target` mid-message (see `Inbox`). */
export interface MessageSink {
  target: Uint8Array;
  /** Bytes of the payload written to `target` so far. */
  received: number;
  readonly length: number;
  /** The payload is read and thrown away (its receiver already failed). */
  readonly discard: boolean;
}

export interface FrameHandler {
  /** A header is complete; returns where the payload goes. */
  begin(tag: string, length: number): MessageSink;
  /** The payload of `sink` is complete. */
  end(sink: MessageSink): void;
}

/** Streaming decoder of data frames; throws `protocol` on a length above `maxPayload`. */
export class DataFrameDecoder {
  private readonly header = Buffer.allocUnsafe(1 + MAX_TAG_BYTES + 4);
  private headerFill = 0;
  private sink: MessageSink | undefined;

  constructor(
    private readonly handler: FrameHandler,
    private readonly maxPayload: number,
    private readonly where: string,
  ) {}

  /** The message being received, if any (so a lost connection can fail its receiver). */
  get current(): MessageSink | undefined {
    return this.sink;
  }

  push(chunk: Buffer): void {
    let pos = 0;
    const n = chunk.length;
    while (pos < n) {
      const sink = this.sink;
      if (sink) {
        const take = Math.min(sink.length - sink.received, n - pos);
        if (!sink.discard) sink.target.set(chunk.subarray(pos, pos + take), sink.received);
        sink.received += take;
        pos += take;
        if (sink.received === sink.length) {
          this.sink = undefined;
          this.handler.end(sink);
        }
        continue;
      }
      // Header: the tag length byte says how long the rest of the header is.
      if (this.headerFill === 0 && n - pos >= 1 + chunk[pos] + 4) {
        // Fast path: the whole header is in this chunk.
        const tagBytes = chunk[pos];
        const tag = chunk.toString('utf8', pos + 1, pos + 1 + tagBytes);
        const length = chunk.readUInt32BE(pos + 1 + tagBytes);
        pos += 1 + tagBytes + 4;
        this.start(tag, length);
        continue;
      }
      const need = this.headerFill === 0 ? 1 : 1 + this.header[0] + 4 - this.headerFill;
      const take = Math.min(need, n - pos);
      chunk.copy(this.header, this.headerFill, pos, pos + take);
      this.headerFill += take;
      pos += take;
      if (this.headerFill > 1 && this.headerFill === 1 + this.header[0] + 4) {
        const tagBytes = this.header[0];
        const tag = this.header.toString('utf8', 1, 1 + tagBytes);
        const length = this.header.readUInt32BE(1 + tagBytes);
        this.headerFill = 0;
        this.start(tag, length);
      }
    }
  }

  private start(tag: string, length: number): void {
    if (length > this.maxPayload) {
      throw new FmiError('protocol', `[direct] ${this.where} announced a message of ${length} bytes (tag "${tag}"), above the limit of ${this.maxPayload}`, {
        channel: 'direct',
      });
    }
    const sink = this.handler.begin(tag, length);
    if (length === 0) {
      this.handler.end(sink);
      return;
    }
    this.sink = sink;
  }
}

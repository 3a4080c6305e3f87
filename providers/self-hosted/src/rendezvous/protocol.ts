import { FmiError } from '@fmi/core';

/**
 * The rendezvous wire protocol (documented in the package README, "Direct channel and
 * rendezvous"). Every frame is
 *
 *   version u8 | type u8 | payload length u16 (big endian) | payload
 *
 * so a frame is never larger than 4 + 65,535 bytes, and a receiver rejects anything above its own,
 * smaller limit (`MAX_CONTROL_PAYLOAD`) before buffering it. Integers are big endian; strings are
 * UTF-8 with a u8 (`str8`) or u16 (`str16`) length prefix.
 */

export const PROTOCOL_VERSION = 1;
export const FRAME_HEADER_BYTES = 4;
/** Largest payload either side accepts: AUTH with 16 endpoints of 255-byte hosts fits easily. */
export const MAX_CONTROL_PAYLOAD = 8192;
export const NONCE_BYTES = 32;
export const PROOF_BYTES = 32;
export const PAIR_TOKEN_BYTES = 16;
export const MAX_ENDPOINTS = 16;
export const MAX_JOB_BYTES = 128;
export const MAX_ERROR_MESSAGE_BYTES = 1024;

export const MessageType = {
  /** S→C, first frame on every connection: nonce. */
  Challenge: 0x01,
  /** C→S: role, job, rank, size, pairId, private endpoints, proof. */
  Auth: 0x02,
  /** S→C: control connection accepted; the client's observed (public) endpoint. */
  Welcome: 0x03,
  /** S→C: error code and message; the server closes the connection after it. */
  Error: 0x04,
  /** C→S: please introduce me to `peer`. */
  Connect: 0x10,
  /** S→C: introduction to a peer: pair id, token, who dials the private endpoint, endpoints. */
  Intro: 0x11,
  /** C→S: the private endpoint did not work for this pair. */
  PrivateFailed: 0x12,
  /** S→C, to both sides at once: start TCP simultaneous open now. */
  Punch: 0x13,
  /** C→S: the pair is connected, by `path`. */
  Paired: 0x14,
  /** S→C: a rank of the job disconnected from the server. */
  PeerGone: 0x15,
  /** S→C: the pairing was dropped (expired, peer left, limit). */
  PairFailed: 0x16,
  /** S→C on a relay connection: both sides are here; from the next byte on, the connection is spliced. */
  RelayReady: 0x20,
} as const;
export type MessageTypeCode = (typeof MessageType)[keyof typeof MessageType];

export const Role = { Control: 1, Relay: 2 } as const;
export type RoleCode = (typeof Role)[keyof typeof Role];

export const ErrorCode = {
  Auth: 1,
  Protocol: 2,
  Limit: 3,
  Config: 4,
  DuplicateRank: 5,
  Version: 6,
  Expired: 7,
  PeerGone: 8,
} as const;
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

export const PathCode = { private: 1, punched: 2, relay: 3 } as const;
export type PairPath = keyof typeof PathCode;

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** A violation of the protocol by the other side. */
export function protocolError(message: string): FmiError {
  return new FmiError('protocol', `[rendezvous] ${message}`, { channel: 'direct' });
}

/** Builds one frame. */
export class FrameBuilder {
  private readonly parts: Buffer[] = [];
  private size = 0;

  u8(value: number): this {
    return this.push(Buffer.from([value & 0xff]));
  }

  u16(value: number): this {
    const b = Buffer.allocUnsafe(2);
    b.writeUInt16BE(value);
    return this.push(b);
  }

  u32(value: number): this {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32BE(value >>> 0);
    return this.push(b);
  }

  bytes(value: Uint8Array): this {
    return this.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  }

  str8(value: string): this {
    const b = Buffer.from(value, 'utf8');
    if (b.length > 255) throw new FmiError('invalid-argument', `[rendezvous] string "${value.slice(0, 40)}…" is longer than 255 bytes`);
    return this.u8(b.length).push(b);
  }

  str16(value: string, max = MAX_ERROR_MESSAGE_BYTES): this {
    let b = Buffer.from(value, 'utf8');
    if (b.length > max) b = b.subarray(0, max);
    return this.u16(b.length).push(b);
  }

  endpoint(e: Endpoint): this {
    return this.str8(e.host).u16(e.port);
  }

  endpoints(list: readonly Endpoint[]): this {
    if (list.length > MAX_ENDPOINTS) throw new FmiError('invalid-argument', `[rendezvous] at most ${MAX_ENDPOINTS} endpoints`);
    this.u8(list.length);
    for (const e of list) this.endpoint(e);
    return this;
  }

  /** The payload alone (used to compute the AUTH proof over the fields before it). */
  payload(): Buffer {
    return Buffer.concat(this.parts, this.size);
  }

  frame(type: MessageTypeCode): Buffer {
    if (this.size > MAX_CONTROL_PAYLOAD) throw new FmiError('invalid-argument', `[rendezvous] frame of ${this.size} bytes exceeds ${MAX_CONTROL_PAYLOAD}`);
    const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
    header[0] = PROTOCOL_VERSION;
    header[1] = type;
    header.writeUInt16BE(this.size, 2);
    return Buffer.concat([header, ...this.parts], FRAME_HEADER_BYTES + this.size);
  }

  private push(b: Buffer): this {
    this.parts.push(b);
    this.size += b.length;
    return this;
  }
}

/** Reads fields of one payload; every read is bounds-checked and fails with `protocol`. */
export class PayloadReader {
  private offset = 0;

  constructor(
    private readonly buf: Buffer,
    private readonly what: string,
  ) {}

  u8(): number {
    this.need(1);
    return this.buf[this.offset++];
  }

  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  bytes(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  str8(): string {
    return this.utf8(this.u8());
  }

  str16(): string {
    return this.utf8(this.u16());
  }

  endpoint(): Endpoint {
    const host = this.str8();
    const port = this.u16();
    if (host.length === 0 || port === 0) throw protocolError(`${this.what}: empty endpoint`);
    return { host, port };
  }

  endpoints(): Endpoint[] {
    const n = this.u8();
    if (n > MAX_ENDPOINTS) throw protocolError(`${this.what}: ${n} endpoints, at most ${MAX_ENDPOINTS}`);
    const list: Endpoint[] = [];
    for (let i = 0; i < n; i++) list.push(this.endpoint());
    return list;
  }

  get consumed(): number {
    return this.offset;
  }

  /** Fails when bytes are left over: a frame must be exactly its fields. */
  end(): void {
    if (this.offset !== this.buf.length) throw protocolError(`${this.what}: ${this.buf.length - this.offset} unexpected trailing bytes`);
  }

  private utf8(n: number): string {
    const b = this.bytes(n);
    const s = b.toString('utf8');
    if (Buffer.byteLength(s) !== n) throw protocolError(`${this.what}: invalid UTF-8`);
    return s;
  }

  private need(n: number): void {
    if (this.offset + n > this.buf.length) throw protocolError(`${this.what}: truncated (needs ${n} more bytes at offset ${this.offset})`);
  }
}

export interface Frame {
  readonly type: number;
  readonly payload: Buffer;
}

/**
 * Incremental frame decoder with a hard bound: it never holds more than one header plus
 * `maxPayload` bytes, and rejects a wrong version or an oversized length as soon as the header is
 * complete, before buffering the payload.
 */
export class FrameDecoder {
  private buffered: Buffer = Buffer.alloc(0);

  constructor(private readonly maxPayload: number = MAX_CONTROL_PAYLOAD) {}

  /** Appends bytes and returns every complete frame. Throws `protocol` on a bad frame. */
  push(chunk: Buffer): Frame[] {
    this.append(chunk);
    const frames: Frame[] = [];
    for (;;) {
      const frame = this.next();
      if (!frame) break;
      frames.push(frame);
    }
    return frames;
  }

  /** Appends bytes without taking frames; `next()` takes them one at a time. */
  append(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    // Check the header now, so an oversized frame is refused before its payload is buffered.
    if (this.buffered.length >= FRAME_HEADER_BYTES) this.checkHeader();
  }

  /** The next complete frame in what is buffered, if any (used when frames must be taken one at a time). */
  next(): Frame | undefined {
    const b = this.buffered;
    if (b.length < FRAME_HEADER_BYTES) return undefined;
    const length = this.checkHeader();
    if (b.length < FRAME_HEADER_BYTES + length) return undefined;
    const frame = { type: b[1], payload: b.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + length) };
    this.buffered = b.subarray(FRAME_HEADER_BYTES + length);
    return frame;
  }

  private checkHeader(): number {
    const b = this.buffered;
    if (b[0] !== PROTOCOL_VERSION) {
      throw new FmiError(
        'protocol',
        `[rendezvous] protocol version ${b[0]} is not supported (this side speaks ${PROTOCOL_VERSION}) — use the same FMI version on the server and the ranks`,
        { channel: 'direct' },
      );
    }
    const length = b.readUInt16BE(2);
    if (length > this.maxPayload) throw protocolError(`frame of ${length} bytes exceeds the limit of ${this.maxPayload}`);
    return length;
  }

  /** Bytes received after the last complete frame (a relay connection's first spliced bytes). */
  takeRest(): Buffer {
    const rest = this.buffered;
    this.buffered = Buffer.alloc(0);
    return rest;
  }
}

/** AUTH payload fields, in wire order. The proof covers every byte before it. */
export interface AuthFields {
  readonly role: RoleCode;
  readonly job: string;
  readonly rank: number;
  readonly size: number;
  /** Relay connections: the pair being relayed; 0 on control connections. */
  readonly pairId: number;
  /** Control connections: this rank's self-reported (private) endpoints. */
  readonly endpoints: readonly Endpoint[];
}

export function encodeAuthFields(f: AuthFields): FrameBuilder {
  return new FrameBuilder().u8(f.role).str8(f.job).u32(f.rank).u32(f.size).u32(f.pairId).endpoints(f.endpoints);
}

export function decodeAuth(payload: Buffer): AuthFields & { readonly signed: Buffer; readonly proof: Buffer } {
  const r = new PayloadReader(payload, 'AUTH');
  const role = r.u8();
  if (role !== Role.Control && role !== Role.Relay) throw protocolError(`AUTH: unknown role ${role}`);
  const job = r.str8();
  if (job.length === 0 || Buffer.byteLength(job) > MAX_JOB_BYTES) throw protocolError(`AUTH: job id must be 1..${MAX_JOB_BYTES} bytes`);
  const rank = r.u32();
  const size = r.u32();
  const pairId = r.u32();
  const endpoints = r.endpoints();
  const signed = payload.subarray(0, r.consumed);
  const proof = r.bytes(PROOF_BYTES);
  r.end();
  return { role: role as RoleCode, job, rank, size, pairId, endpoints, signed, proof };
}

export interface IntroFields {
  readonly pairId: number;
  readonly peer: number;
  readonly token: Buffer;
  /** True for the side that dials the other's private endpoint (the lower rank). */
  readonly initiator: boolean;
  readonly observed: Endpoint;
  readonly endpoints: readonly Endpoint[];
}

export function encodeIntro(f: IntroFields): Buffer {
  return new FrameBuilder()
    .u32(f.pairId)
    .u32(f.peer)
    .bytes(f.token)
    .u8(f.initiator ? 1 : 0)
    .endpoint(f.observed)
    .endpoints(f.endpoints)
    .frame(MessageType.Intro);
}

export function decodeIntro(payload: Buffer): IntroFields {
  const r = new PayloadReader(payload, 'INTRO');
  const f = {
    pairId: r.u32(),
    peer: r.u32(),
    token: Buffer.from(r.bytes(PAIR_TOKEN_BYTES)),
    initiator: r.u8() === 1,
    observed: r.endpoint(),
    endpoints: r.endpoints(),
  };
  r.end();
  return f;
}

export function encodeError(code: ErrorCodeValue, message: string): Buffer {
  return new FrameBuilder().u8(code).str16(message).frame(MessageType.Error);
}

export function decodeError(payload: Buffer): { code: number; message: string } {
  const r = new PayloadReader(payload, 'ERROR');
  const f = { code: r.u8(), message: r.str16() };
  r.end();
  return f;
}

export function encodePairFailed(pairId: number, peer: number, code: ErrorCodeValue, message: string): Buffer {
  return new FrameBuilder().u32(pairId).u32(peer).u8(code).str16(message).frame(MessageType.PairFailed);
}

export function decodePairFailed(payload: Buffer): { pairId: number; peer: number; code: number; message: string } {
  const r = new PayloadReader(payload, 'PAIR_FAILED');
  const f = { pairId: r.u32(), peer: r.u32(), code: r.u8(), message: r.str16() };
  r.end();
  return f;
}

/** Frames whose payload is a single u32 (CONNECT, PRIVATE_FAILED, PUNCH, PEER_GONE, RELAY_READY). */
export function encodeU32(type: MessageTypeCode, value: number): Buffer {
  return new FrameBuilder().u32(value).frame(type);
}

export function decodeU32(payload: Buffer, what: string): number {
  const r = new PayloadReader(payload, what);
  const v = r.u32();
  r.end();
  return v;
}

export function encodePaired(pairId: number, path: PairPath): Buffer {
  return new FrameBuilder().u32(pairId).u8(PathCode[path]).frame(MessageType.Paired);
}

export function decodePaired(payload: Buffer): { pairId: number; path: PairPath } {
  const r = new PayloadReader(payload, 'PAIRED');
  const pairId = r.u32();
  const code = r.u8();
  r.end();
  const path = (Object.keys(PathCode) as PairPath[]).find((p) => PathCode[p] === code);
  if (!path) throw protocolError(`PAIRED: unknown path ${code}`);
  return { pairId, path };
}

/** `::ffff:1.2.3.4` (an IPv4 peer on a dual-stack socket) → `1.2.3.4`. */
export function normalizeAddress(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

import { invalidArgument } from './errors.js';

/** Every buffer kind FMI moves: all TypedArrays (BigInt64/BigUint64 included); `Buffer` is a Uint8Array. */
export type TypedArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

export type DType = 'int8' | 'uint8' | 'uint8c' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64' | 'bigint64' | 'biguint64';

export const DTYPES: readonly DType[] = ['int8', 'uint8', 'uint8c', 'int16', 'uint16', 'int32', 'uint32', 'float32', 'float64', 'bigint64', 'biguint64'];

type Ctor = { new (length: number): TypedArray; new (buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArray; BYTES_PER_ELEMENT: number };

export const DTYPE_CTORS: Readonly<Record<DType, Ctor>> = {
  int8: Int8Array,
  uint8: Uint8Array,
  uint8c: Uint8ClampedArray,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  float32: Float32Array,
  float64: Float64Array,
  bigint64: BigInt64Array,
  biguint64: BigUint64Array,
} as Record<DType, Ctor>;

/** The dtype of a buffer; `invalid-argument` naming `field` for anything that is not a TypedArray. */
export function dtypeOf(buf: unknown, field = 'buffer'): DType {
  if (buf instanceof Uint8Array) return 'uint8'; // Buffer included
  if (buf instanceof Float64Array) return 'float64';
  if (buf instanceof Float32Array) return 'float32';
  if (buf instanceof Int32Array) return 'int32';
  if (buf instanceof Uint32Array) return 'uint32';
  if (buf instanceof Int16Array) return 'int16';
  if (buf instanceof Uint16Array) return 'uint16';
  if (buf instanceof Int8Array) return 'int8';
  if (buf instanceof Uint8ClampedArray) return 'uint8c';
  if (buf instanceof BigInt64Array) return 'bigint64';
  if (buf instanceof BigUint64Array) return 'biguint64';
  if (buf instanceof DataView) throw invalidArgument(field, 'DataView is not supported; pass a TypedArray view instead');
  throw invalidArgument(field, `expected a TypedArray, Buffer or Uint8Array, got ${describe(buf)}`);
}

export function isBigIntDType(dtype: DType): boolean {
  return dtype === 'bigint64' || dtype === 'biguint64';
}

export function isFloatDType(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64';
}

/** The bytes of a buffer, as a Uint8Array over the same memory (no copy). */
export function bytesOf(buf: TypedArray): Uint8Array {
  if (buf instanceof Uint8Array && buf.constructor === Uint8Array) return buf;
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * A view of `bytes` as the dtype of `like` (no copy when aligned; a copy otherwise, since a
 * TypedArray view must start at a multiple of its element size).
 */
export function viewLike<T extends TypedArray>(like: T, bytes: Uint8Array): T {
  const ctor = ctorOf(like);
  const size = ctor.BYTES_PER_ELEMENT;
  if (bytes.byteLength % size !== 0) {
    throw invalidArgument('buffer', `${bytes.byteLength} bytes is not a whole number of ${size}-byte elements`);
  }
  if (bytes.byteOffset % size === 0) return new ctor(bytes.buffer, bytes.byteOffset, bytes.byteLength / size) as T;
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new ctor(copy.buffer, 0, bytes.byteLength / size) as T;
}

/** A new zeroed buffer of the same kind as `like` with `length` elements (a Buffer stays a Buffer). */
export function allocLike<T extends TypedArray>(like: T, length: number): T {
  if (typeof Buffer !== 'undefined' && Buffer.isBuffer(like)) return Buffer.alloc(length) as unknown as T;
  return new (ctorOf(like))(length) as T;
}

/** A copy of `buf` (same kind). */
export function cloneBuf<T extends TypedArray>(buf: T): T {
  const out = allocLike(buf, buf.length);
  (out as unknown as { set(a: ArrayLike<number | bigint>): void }).set(buf as ArrayLike<number | bigint>);
  return out;
}

function ctorOf(like: TypedArray): Ctor {
  if (typeof Buffer !== 'undefined' && Buffer.isBuffer(like)) return Uint8Array as unknown as Ctor;
  return like.constructor as unknown as Ctor;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}

/** Splits `count` elements into `parts` nearly equal blocks: counts and offsets (first blocks one larger). */
export function blockLayout(count: number, parts: number): { counts: number[]; offsets: number[] } {
  const base = Math.floor(count / parts);
  const extra = count % parts;
  const counts = new Array<number>(parts);
  const offsets = new Array<number>(parts);
  let offset = 0;
  for (let i = 0; i < parts; i++) {
    counts[i] = base + (i < extra ? 1 : 0);
    offsets[i] = offset;
    offset += counts[i];
  }
  return { counts, offsets };
}

/**
 * Packs several byte blocks into one message: a u32 count, a u32 length per block, then the
 * blocks. Used where blocks travel together and may differ in length (gather of values).
 */
export function packBlocks(blocks: readonly Uint8Array[]): Uint8Array {
  let total = 4 + 4 * blocks.length;
  for (const b of blocks) total += b.byteLength;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, blocks.length, true);
  let offset = 4 + 4 * blocks.length;
  blocks.forEach((b, i) => {
    view.setUint32(4 + 4 * i, b.byteLength, true);
    out.set(b, offset);
    offset += b.byteLength;
  });
  return out;
}

/** Inverse of `packBlocks`; the blocks are views into `packed` (no copy). */
export function unpackBlocks(packed: Uint8Array): Uint8Array[] {
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  if (packed.byteLength < 4) throw new RangeError('packed blocks: truncated header');
  const n = view.getUint32(0, true);
  if (4 + 4 * n > packed.byteLength) throw new RangeError('packed blocks: truncated lengths');
  const blocks: Uint8Array[] = [];
  let offset = 4 + 4 * n;
  for (let i = 0; i < n; i++) {
    const len = view.getUint32(4 + 4 * i, true);
    if (offset + len > packed.byteLength) throw new RangeError('packed blocks: truncated block');
    blocks.push(packed.subarray(offset, offset + len));
    offset += len;
  }
  return blocks;
}

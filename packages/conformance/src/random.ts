/** Every buffer kind FMI moves (the suite's own copy, so it checks core rather than reusing it). */
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

/**
 * Deterministic data. Every buffer the suite sends is derived from a seed built from the test's
 * coordinates (collective, dtype, world size, rank, ...), so a failure reproduces exactly.
 */

/** FNV-1a over the parts' text: a stable 32-bit seed for a test coordinate. */
export function seedOf(...parts: ReadonlyArray<string | number>): number {
  let h = 0x811c9dc5;
  for (const ch of parts.join('|')) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** mulberry32: small, fast, good enough for test data. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 2 ** 32;
  }
  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)];
  }
  u64(): bigint {
    return (BigInt(this.u32()) << 32n) | BigInt(this.u32());
  }
}

export const ALL_DTYPES: readonly DType[] = ['int8', 'uint8', 'uint8c', 'int16', 'uint16', 'int32', 'uint32', 'float32', 'float64', 'bigint64', 'biguint64'];

const CTORS: Record<DType, new (length: number) => TypedArray> = {
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
};

export function alloc(dtype: DType, length: number): TypedArray {
  return new CTORS[dtype](length);
}

export function isBig(dtype: DType): boolean {
  return dtype === 'bigint64' || dtype === 'biguint64';
}

export function isFloat(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64';
}

/** The dtype of a buffer (a Buffer counts as uint8). */
export function dtypeOfBuffer(buf: unknown): DType | undefined {
  if (buf instanceof Uint8Array) return 'uint8';
  for (const dtype of ALL_DTYPES) if (buf instanceof CTORS[dtype]) return dtype;
  return undefined;
}

/**
 * What the values are for. The ranges keep every built-in reduction exact and independent of the
 * order of application (integers wrap modulo 2^bits, which is associative; floats hold values whose
 * sums and products are exactly representable), so any correct algorithm matches a left fold bit
 * for bit:
 * - `general`: sum, min, max, bitwise ops, data movement;
 * - `prod`: small factors (powers of two for floats), few non-unit factors beyond rank 16;
 * - `logical`: land/lor, mostly non-zero with some zeros.
 */
export type DataKind = 'general' | 'prod' | 'logical';

export function makeData(dtype: DType, length: number, seed: number, kind: DataKind = 'general', rank = 0): TypedArray {
  const rng = new Rng(seed);
  const out = alloc(dtype, length);
  const big = isBig(dtype);
  for (let i = 0; i < length; i++) {
    let v: number | bigint;
    if (kind === 'logical' && rng.float() < 0.1) v = 0;
    else if (kind === 'prod') v = prodFactor(dtype, rng, rank);
    else v = generalValue(dtype, rng);
    (out as unknown as Array<number | bigint>)[i] = big ? BigInt(v) : Number(v);
  }
  return out;
}

function generalValue(dtype: DType, rng: Rng): number | bigint {
  switch (dtype) {
    case 'int8':
      return rng.int(-128, 127);
    case 'uint8':
    case 'uint8c':
      return rng.int(0, 255);
    case 'int16':
      return rng.int(-32768, 32767);
    case 'uint16':
      return rng.int(0, 65535);
    case 'int32':
      return rng.u32() | 0;
    case 'uint32':
      return rng.u32();
    case 'float32':
      return rng.int(-8000, 8000) / 8;
    case 'float64':
      return rng.int(-(2 ** 20), 2 ** 20) / 8;
    case 'bigint64':
      return BigInt.asIntN(64, rng.u64());
    case 'biguint64':
      return rng.u64();
  }
}

function prodFactor(dtype: DType, rng: Rng, rank: number): number | bigint {
  if (isBig(dtype)) return dtype === 'bigint64' ? BigInt.asIntN(64, rng.u64()) : rng.u64();
  const unsigned = dtype.startsWith('uint');
  if (isFloat(dtype)) return rank < 16 ? rng.pick([-2, -1, -0.5, 0.5, 1, 2]) : rng.pick([-1, 1]);
  if (unsigned) return rank < 16 ? rng.pick([1, 2, 3]) : 1;
  return rank < 16 ? rng.pick([-2, -1, 1, 2, 3]) : rng.pick([-1, 1]);
}

/** A copy of a buffer (same kind; a Buffer becomes a plain Uint8Array). */
export function copyOf<T extends TypedArray>(buf: T): T {
  const dtype = dtypeOfBuffer(buf)!;
  const out = alloc(dtype, buf.length) as T;
  (out as unknown as { set(a: ArrayLike<number | bigint>): void }).set(buf as unknown as ArrayLike<number | bigint>);
  return out;
}

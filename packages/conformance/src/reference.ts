import { alloc, copyOf, type DType, dtypeOfBuffer, isBig, type TypedArray } from './random.js';

/**
 * Sequential references, computed independently of core: the suite's own element-wise built-in
 * ops and a plain left fold in rank order. Results are stored through a TypedArray of the data's
 * kind, which applies the same wrap-around (integers) and saturation (Uint8Clamped) as core must.
 */

export type BuiltinOpName = 'sum' | 'prod' | 'min' | 'max' | 'land' | 'lor' | 'band' | 'bor' | 'bxor';
export const BUILTIN_OP_NAMES: readonly BuiltinOpName[] = ['sum', 'prod', 'min', 'max', 'land', 'lor', 'band', 'bor', 'bxor'];

/** A custom op as core takes it (`CustomOp` of `@fmi/core`). */
export interface TestCustomOp {
  readonly name?: string;
  readonly fn?: (a: any, b: any) => number | bigint;
  readonly vector?: (a: any, b: any, out: any) => void;
  readonly commutative: boolean;
  readonly associative: boolean;
}

export type TestOp = BuiltinOpName | TestCustomOp;

function scalarOp(op: BuiltinOpName, big: boolean): (x: any, y: any) => number | bigint {
  const zero = big ? 0n : 0;
  const one = big ? 1n : 1;
  switch (op) {
    case 'sum':
      return (x, y) => x + y;
    case 'prod':
      return (x, y) => x * y;
    case 'min':
      // biome-ignore lint/complexity/useMathMinMax: must work on bigints too, and keep core's tie rule
      return (x, y) => (y < x ? y : x);
    case 'max':
      // biome-ignore lint/complexity/useMathMinMax: must work on bigints too, and keep core's tie rule
      return (x, y) => (y > x ? y : x);
    case 'land':
      return (x, y) => (x !== zero && y !== zero ? one : zero);
    case 'lor':
      return (x, y) => (x !== zero || y !== zero ? one : zero);
    case 'band':
      return (x, y) => x & y;
    case 'bor':
      return (x, y) => x | y;
    case 'bxor':
      return (x, y) => x ^ y;
  }
}

/** `acc[i] = acc[i] ⊕ x[i]` for every i, in place. */
export function applyInPlace(op: TestOp, acc: TypedArray, x: TypedArray): void {
  const a = acc as unknown as Array<any>;
  const b = x as unknown as Array<any>;
  if (typeof op === 'string') {
    const f = scalarOp(op, isBig(dtypeOfBuffer(acc)!));
    for (let i = 0; i < a.length; i++) a[i] = f(a[i], b[i]);
  } else if (op.vector) {
    const scratch = copyOf(acc);
    op.vector(scratch, x, acc);
  } else {
    const f = op.fn!;
    for (let i = 0; i < a.length; i++) a[i] = f(a[i], b[i]);
  }
}

/** `((x0 ⊕ x1) ⊕ x2) ⊕ ...`: the reference every reduction must equal, bit for bit. */
export function leftFold(op: TestOp, inputs: readonly TypedArray[]): TypedArray {
  const acc = copyOf(inputs[0]);
  for (let r = 1; r < inputs.length; r++) applyInPlace(op, acc, inputs[r]);
  return acc;
}

export function concat(dtype: DType, parts: readonly TypedArray[]): TypedArray {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = alloc(dtype, total) as unknown as { set(a: ArrayLike<unknown>, offset: number): void };
  let offset = 0;
  for (const p of parts) {
    out.set(p as unknown as ArrayLike<unknown>, offset);
    offset += p.length;
  }
  return out as unknown as TypedArray;
}

/** Block `i` of `count` equal blocks (a copy). */
export function block(buf: TypedArray, i: number, count: number): TypedArray {
  const len = buf.length / count;
  return copyOf(buf.subarray(i * len, (i + 1) * len) as TypedArray);
}

function show(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number' && Object.is(v, -0)) return '-0';
  return String(v);
}

/**
 * Compares a result with its reference: same kind, same length, same bits (floats bit for bit).
 * Returns a one-line description of the first difference, or `undefined` when equal.
 */
export function diff(what: string, actual: unknown, expected: TypedArray): string | undefined {
  const kind = dtypeOfBuffer(actual);
  const want = dtypeOfBuffer(expected);
  if (kind === undefined) return `${what}: expected a ${want} buffer, got ${actual === undefined ? 'undefined' : Object.prototype.toString.call(actual)}`;
  if (kind !== want) return `${what}: expected a ${want} buffer, got ${kind}`;
  const a = actual as TypedArray;
  if (a.length !== expected.length) return `${what}: expected length ${expected.length}, got ${a.length}`;
  const ab = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const eb = new Uint8Array(expected.buffer, expected.byteOffset, expected.byteLength);
  for (let j = 0; j < ab.length; j++) {
    if (ab[j] !== eb[j]) {
      const i = Math.floor(j / expected.BYTES_PER_ELEMENT);
      let bad = 0;
      for (let k = 0; k < a.length; k++) if (!Object.is(a[k], expected[k])) bad++;
      return `${what}: element ${i} is ${show(a[i])}, expected ${show(expected[i])} (${bad || 'some'} of ${a.length} elements differ)`;
    }
  }
  return undefined;
}

/** Collects problems (strings) so a test can assert `problems` equals `[]` and print them all. */
export class Problems {
  readonly list: string[] = [];
  check(what: string, actual: unknown, expected: TypedArray): void {
    const d = diff(what, actual, expected);
    if (d) this.list.push(d);
  }
  /** Checks that `input` still equals `snapshot` (collectives never modify their inputs). */
  unchanged(what: string, input: TypedArray, snapshot: TypedArray): void {
    const d = diff(`${what}: input modified`, input, snapshot);
    if (d) this.list.push(d);
  }
  expectTrue(what: string, ok: boolean): void {
    if (!ok) this.list.push(what);
  }
  add(problem: string): void {
    this.list.push(problem);
  }
}

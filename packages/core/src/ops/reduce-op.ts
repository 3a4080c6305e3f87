import { type DType, dtypeOf, isBigIntDType, isFloatDType, type TypedArray } from '../buffers.js';
import { FmiError, invalidArgument } from '../errors.js';

export type BuiltinOp = 'sum' | 'prod' | 'min' | 'max' | 'land' | 'lor' | 'band' | 'bor' | 'bxor';
export const BUILTIN_OPS: readonly BuiltinOp[] = ['sum', 'prod', 'min', 'max', 'land', 'lor', 'band', 'bor', 'bxor'];

type Scalar = number | bigint;

/**
 * A user-defined reduction. Give either `fn` (element by element: `fn(a, b)` where `a` comes from
 * the lower ranks) or `vector` (a loop over a block: write `a[i] ⊕ b[i]` into `out[i]`; `out` may
 * be `a`). Either way the op must act element by element: algorithms cut buffers into blocks at any
 * element boundary (ring, scatter-reduce), so a value spanning several elements (a 2×2 matrix in
 * four floats) would be split. Pack such values into one element (BigUint64) or use `gatherValues`.
 *
 * Unless the op is both commutative and associative, FMI applies it in rank order exactly as a
 * sequential left fold would: `((x0 ⊕ x1) ⊕ x2) ⊕ ...`, bit for bit.
 */
export interface CustomOp {
  readonly name?: string;
  readonly fn?: (a: any, b: any) => Scalar;
  readonly vector?: (a: any, b: any, out: any) => void;
  readonly commutative: boolean;
  readonly associative: boolean;
}

export type ReduceOp = BuiltinOp | CustomOp;

/** A kernel: `out[i] = a[i] ⊕ b[i]` for every i; `out` may alias `a` or `b`. */
export type Kernel = (a: TypedArray, b: TypedArray, out: TypedArray) => void;

export interface ResolvedOp {
  readonly name: string;
  readonly commutative: boolean;
  readonly associative: boolean;
  readonly builtin: boolean;
  readonly kernel: Kernel;
}

const INTEGER_ONLY: ReadonlySet<BuiltinOp> = new Set(['band', 'bor', 'bxor']);

function expression(op: BuiltinOp, big: boolean): string {
  const zero = big ? '0n' : '0';
  const one = big ? '1n' : '1';
  switch (op) {
    case 'sum':
      return 'x + y';
    case 'prod':
      return 'x * y';
    case 'min':
      return 'y < x ? y : x';
    case 'max':
      return 'y > x ? y : x';
    case 'land':
      return `(x !== ${zero} && y !== ${zero}) ? ${one} : ${zero}`;
    case 'lor':
      return `(x !== ${zero} || y !== ${zero}) ? ${one} : ${zero}`;
    case 'band':
      return 'x & y';
    case 'bor':
      return 'x | y';
    case 'bxor':
      return 'x ^ y';
  }
}

// One generated function per (dtype, op): each has its own type feedback, so the loop stays
// monomorphic (one element kind) and V8 compiles it to a tight loop, as a hand-written one would be.
const builtinKernels = new Map<string, Kernel>();

function builtinKernel(op: BuiltinOp, dtype: DType): Kernel {
  const key = `${op}:${dtype}`;
  let k = builtinKernels.get(key);
  if (!k) {
    const body = `"use strict"; const n = o.length; for (let i = 0; i < n; i++) { const x = a[i], y = b[i]; o[i] = ${expression(op, isBigIntDType(dtype))}; }`;
    k = new Function('a', 'b', 'o', body) as Kernel;
    Object.defineProperty(k, 'name', { value: `${op}_${dtype}` });
    builtinKernels.set(key, k);
  }
  return k;
}

const customKernels = new WeakMap<CustomOp, Map<DType, Kernel>>();

function customKernel(op: CustomOp, dtype: DType): Kernel {
  let perType = customKernels.get(op);
  if (!perType) {
    perType = new Map();
    customKernels.set(op, perType);
  }
  let k = perType.get(dtype);
  if (!k) {
    if (op.vector) {
      const vector = op.vector;
      k = (a, b, o) => vector(a, b, o);
    } else {
      const make = new Function('fn', '"use strict"; return function (a, b, o) { const n = o.length; for (let i = 0; i < n; i++) o[i] = fn(a[i], b[i]); };');
      k = make(op.fn) as Kernel;
    }
    perType.set(dtype, k);
  }
  return k;
}

/** Checks an op argument and returns its kernel for `dtype`; `invalid-argument` naming `op` otherwise. */
export function resolveOp(op: unknown, dtype: DType): ResolvedOp {
  if (typeof op === 'string') {
    if (!(BUILTIN_OPS as readonly string[]).includes(op)) {
      throw invalidArgument('op', `unknown reduction "${op}" — use one of ${BUILTIN_OPS.join(', ')} or a custom { fn, commutative, associative }`);
    }
    const b = op as BuiltinOp;
    if (INTEGER_ONLY.has(b) && isFloatDType(dtype)) {
      throw invalidArgument('op', `"${b}" is a bitwise op and needs an integer buffer, got ${dtype}`);
    }
    // Floating-point sum and prod are treated as commutative and associative, as in MPI.
    return { name: b, commutative: true, associative: true, builtin: true, kernel: builtinKernel(b, dtype) };
  }
  if (typeof op !== 'object' || op === null) throw invalidArgument('op', 'expected a built-in op name or { fn | vector, commutative, associative }');
  const c = op as CustomOp;
  if (typeof c.fn !== 'function' && typeof c.vector !== 'function') throw invalidArgument('op', 'custom op needs a function `fn(a, b)` or `vector(a, b, out)`');
  if (typeof c.commutative !== 'boolean' || typeof c.associative !== 'boolean') {
    throw invalidArgument('op', 'custom op must say `commutative` and `associative` (booleans)');
  }
  return {
    name: c.name ?? 'custom',
    commutative: c.commutative,
    associative: c.associative,
    builtin: false,
    kernel: customKernel(c, dtype),
  };
}

/** Runs a kernel, turning a failure of a user function into an FmiError. */
export function applyKernel(op: ResolvedOp, a: TypedArray, b: TypedArray, out: TypedArray): void {
  if (op.builtin) {
    op.kernel(a, b, out);
    return;
  }
  try {
    op.kernel(a, b, out);
  } catch (cause) {
    throw new FmiError('invalid-argument', `custom op "${op.name}" threw: ${cause instanceof Error ? cause.message : String(cause)}`, { cause, field: 'op' });
  }
}

export { dtypeOf };

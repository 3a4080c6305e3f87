import { describe, expect, it } from 'vitest';
import { DTYPE_CTORS, DTYPES, type DType, isBigIntDType, isFloatDType } from '../buffers.js';
import { FmiError } from '../errors.js';
import { BUILTIN_OPS, type BuiltinOp, resolveOp } from './reduce-op.js';

/** A straightforward scalar reference for each op, element by element. */
function reference(op: BuiltinOp, x: number | bigint, y: number | bigint): number | bigint {
  const big = typeof x === 'bigint';
  const z = big ? 0n : 0;
  const o = big ? 1n : 1;
  switch (op) {
    case 'sum':
      return (x as number) + (y as number);
    case 'prod':
      return (x as number) * (y as number);
    case 'min':
      return x < y ? x : y;
    case 'max':
      return x > y ? x : y;
    case 'land':
      return x !== z && y !== z ? o : z;
    case 'lor':
      return x !== z || y !== z ? o : z;
    case 'band':
      return (x as number) & (y as number);
    case 'bor':
      return (x as number) | (y as number);
    case 'bxor':
      return (x as number) ^ (y as number);
  }
}

function sample(dtype: DType, i: number): number | bigint {
  const v = ((i * 7919) % 23) - (dtype.startsWith('u') || dtype === 'uint8c' || dtype === 'biguint64' ? 0 : 11);
  if (isBigIntDType(dtype)) return BigInt(v);
  return isFloatDType(dtype) ? v / 4 : v;
}

describe('reduction kernels', () => {
  for (const dtype of DTYPES) {
    for (const op of BUILTIN_OPS) {
      const bitwise = op === 'band' || op === 'bor' || op === 'bxor';
      if (bitwise && isFloatDType(dtype)) {
        it(`${op} on ${dtype} is refused`, () => {
          expect(() => resolveOp(op, dtype)).toThrow(expect.objectContaining({ kind: 'invalid-argument', field: 'op' }));
        });
        continue;
      }
      it(`${op} on ${dtype} matches the scalar reference, stored with the array's own wrapping`, () => {
        const Ctor = DTYPE_CTORS[dtype];
        const n = 37;
        const a = new Ctor(n);
        const b = new Ctor(n);
        for (let i = 0; i < n; i++) {
          a[i] = sample(dtype, i) as never;
          b[i] = sample(dtype, i + 5) as never;
        }
        const out = new Ctor(n);
        const expected = new Ctor(n);
        for (let i = 0; i < n; i++) expected[i] = reference(op, a[i], b[i]) as never;
        resolveOp(op, dtype).kernel(a, b, out);
        expect(Array.from(out as ArrayLike<number>)).toEqual(Array.from(expected as ArrayLike<number>));
      });
    }
  }

  it('custom element and vector ops keep the left operand from the lower rank', () => {
    const minus = resolveOp({ fn: (x: number, y: number) => x - y, commutative: false, associative: false }, 'float64');
    const out = new Float64Array(2);
    minus.kernel(new Float64Array([10, 1]), new Float64Array([3, 5]), out);
    expect(Array.from(out)).toEqual([7, -4]);
    const vec = resolveOp(
      {
        vector: (a: Int32Array, b: Int32Array, o: Int32Array) => {
          for (let i = 0; i < o.length; i++) o[i] = a[i] * 10 + b[i];
        },
        commutative: false,
        associative: true,
      },
      'int32',
    );
    const o2 = new Int32Array(1);
    vec.kernel(new Int32Array([4]), new Int32Array([2]), o2);
    expect(o2[0]).toBe(42);
    expect(vec.associative && !vec.commutative).toBe(true);
  });

  it('rejects malformed ops with invalid-argument naming `op`', () => {
    for (const bad of ['avg', 42, null, { fn: 1, commutative: true, associative: true }, { fn: () => 0, commutative: 'yes', associative: true }]) {
      let caught: unknown;
      try {
        resolveOp(bad, 'float32');
      } catch (e) {
        caught = e;
      }
      expect(FmiError.isKind(caught, 'invalid-argument')).toBe(true);
      expect((caught as FmiError).field).toBe('op');
    }
  });
});

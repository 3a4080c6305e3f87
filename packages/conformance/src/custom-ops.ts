import { Rng } from './random.js';
import type { TestCustomOp } from './reference.js';

/**
 * Custom reductions whose results reveal the order in which core applied them. Core must apply
 * an op that is not both commutative and associative exactly like a sequential left fold.
 */

/**
 * Neither commutative nor associative, on float64: any regrouping or reordering changes the bits.
 * Bounded for inputs in [-1, 1] (|a| shrinks by a factor below 0.84 each step).
 */
export const skewFloat: TestCustomOp = {
  name: 'skew',
  fn: (a: number, b: number) => 0.5 * a - b + (a * b) / 3,
  commutative: false,
  associative: false,
};

/** The same op through the `vector` form (`out` may alias `a`). */
export const skewFloatVector: TestCustomOp = {
  name: 'skew-vector',
  vector: (a: Float64Array, b: Float64Array, out: Float64Array) => {
    for (let i = 0; i < out.length; i++) out[i] = 0.5 * a[i] - b[i] + (a[i] * b[i]) / 3;
  },
  commutative: false,
  associative: false,
};

export function skewData(length: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) out[i] = rng.float() * 2 - 1;
  return out;
}

// The symmetric group S5: 120 permutations of 0..4, composed left to right. Composition is
// associative but not commutative; an element is the permutation's index (fits an Int16Array).
const PERMS: number[][] = [];
(function permute(prefix: number[], rest: number[]) {
  if (rest.length === 0) PERMS.push(prefix);
  for (let i = 0; i < rest.length; i++) permute([...prefix, rest[i]], [...rest.slice(0, i), ...rest.slice(i + 1)]);
})([], [0, 1, 2, 3, 4]);
const PERM_INDEX = new Map(PERMS.map((p, i) => [p.join(''), i]));
const COMPOSE = new Int16Array(120 * 120);
for (let a = 0; a < 120; a++) {
  for (let b = 0; b < 120; b++) COMPOSE[a * 120 + b] = PERM_INDEX.get(PERMS[a].map((x) => PERMS[b][x]).join(''))!;
}

/** Permutation composition in S5: associative, not commutative (element-wise, `fn` form). */
export const permCompose: TestCustomOp = {
  name: 'perm-compose',
  fn: (a: number, b: number) => COMPOSE[a * 120 + b],
  commutative: false,
  associative: true,
};

export function permData(length: number, seed: number): Int16Array {
  const rng = new Rng(seed);
  const out = new Int16Array(length);
  for (let i = 0; i < length; i++) out[i] = rng.int(0, 119);
  return out;
}

// 2x2 matrices over the integers mod 2^16, one matrix per BigUint64 element (m00, m01, m10, m11
// in 16-bit fields, low to high). The product is associative but not commutative.
const M16 = 0xffffn;
function matmul(x: bigint, y: bigint): bigint {
  const a = [x & M16, (x >> 16n) & M16, (x >> 32n) & M16, (x >> 48n) & M16];
  const b = [y & M16, (y >> 16n) & M16, (y >> 32n) & M16, (y >> 48n) & M16];
  const c00 = (a[0] * b[0] + a[1] * b[2]) & M16;
  const c01 = (a[0] * b[1] + a[1] * b[3]) & M16;
  const c10 = (a[2] * b[0] + a[3] * b[2]) & M16;
  const c11 = (a[2] * b[1] + a[3] * b[3]) & M16;
  return c00 | (c01 << 16n) | (c10 << 32n) | (c11 << 48n);
}

/** 2x2 matrix product mod 2^16 packed in BigUint64 elements: associative, not commutative (`vector` form). */
export const matrixProduct: TestCustomOp = {
  name: 'matrix-2x2',
  vector: (a: BigUint64Array, b: BigUint64Array, out: BigUint64Array) => {
    for (let i = 0; i < out.length; i++) out[i] = matmul(a[i], b[i]);
  },
  commutative: false,
  associative: true,
};

export function matrixData(length: number, seed: number): BigUint64Array {
  const rng = new Rng(seed);
  const out = new BigUint64Array(length);
  for (let i = 0; i < length; i++) out[i] = rng.u64();
  return out;
}

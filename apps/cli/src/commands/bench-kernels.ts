import { type CustomOp, type DType, resolveOp, type TypedArray } from '@fmi/core';

/**
 * Throughput of core's reduction kernels against a plain hand-written loop for the same operation,
 * measured in the same run on the same arrays, so the ratio says what core's kernel generation
 * costs or saves, independent of the machine.
 */

export interface KernelCase {
  readonly name: string;
  readonly dtype: DType;
  readonly op: Parameters<typeof resolveOp>[0];
  /** The baseline: the loop a user would write by hand for this op and element type. */
  readonly baseline: (a: TypedArray, b: TypedArray, out: TypedArray) => void;
  readonly make: (n: number) => TypedArray;
}

export interface KernelResult {
  readonly name: string;
  /** Elements per second, best of the rounds. */
  readonly kernel: number;
  readonly baseline: number;
}

// A custom op as users write them: element-wise, with the closure FMI must call per element.
const absMax: CustomOp = { name: 'absmax', fn: (x: number, y: number) => (Math.abs(y) > Math.abs(x) ? y : x), commutative: true, associative: true };

// Each baseline is its own function, so V8 specialises each on one element kind, as it would in
// user code; sharing one function across types would make the baseline artificially slow.
function sumF32(a: TypedArray, b: TypedArray, o: TypedArray): void {
  const x = a as Float32Array;
  const y = b as Float32Array;
  const z = o as Float32Array;
  for (let i = 0; i < z.length; i++) z[i] = x[i] + y[i];
}
function sumF64(a: TypedArray, b: TypedArray, o: TypedArray): void {
  const x = a as Float64Array;
  const y = b as Float64Array;
  const z = o as Float64Array;
  for (let i = 0; i < z.length; i++) z[i] = x[i] + y[i];
}
function bxorI32(a: TypedArray, b: TypedArray, o: TypedArray): void {
  const x = a as Int32Array;
  const y = b as Int32Array;
  const z = o as Int32Array;
  for (let i = 0; i < z.length; i++) z[i] = x[i] ^ y[i];
}
function absMaxF32(a: TypedArray, b: TypedArray, o: TypedArray): void {
  const x = a as Float32Array;
  const y = b as Float32Array;
  const z = o as Float32Array;
  for (let i = 0; i < z.length; i++) z[i] = Math.abs(y[i]) > Math.abs(x[i]) ? y[i] : x[i];
}

const floats32 = (n: number) => Float32Array.from({ length: n }, (_, i) => ((i * 7919) % 1000) / 10 - 50);
const floats64 = (n: number) => Float64Array.from({ length: n }, (_, i) => ((i * 7919) % 1000) / 10 - 50);
const ints32 = (n: number) => Int32Array.from({ length: n }, (_, i) => (i * 2654435761) | 0);

export const KERNEL_CASES: readonly KernelCase[] = [
  { name: 'float32 sum', dtype: 'float32', op: 'sum', baseline: sumF32, make: floats32 },
  { name: 'float32 custom (absmax fn)', dtype: 'float32', op: absMax, baseline: absMaxF32, make: floats32 },
  { name: 'float64 sum', dtype: 'float64', op: 'sum', baseline: sumF64, make: floats64 },
  { name: 'int32 bxor', dtype: 'int32', op: 'bxor', baseline: bxorI32, make: ints32 },
];

export interface KernelBenchOptions {
  /** Elements per array. */
  readonly elements: number;
  /** Measuring time per case and contender, ms (split into rounds). */
  readonly budgetMs: number;
  readonly rounds: number;
}

/**
 * Runs every case: warm-up, then `rounds` alternating rounds of kernel and baseline (alternating so
 * that frequency scaling and noise hit both alike), each round as many calls as fit its share of
 * the budget. Reports the best round of each, the usual estimator of what the code can do.
 */
export function benchKernels(o: KernelBenchOptions, cases: readonly KernelCase[] = KERNEL_CASES): KernelResult[] {
  return cases.map((c) => {
    const a = c.make(o.elements);
    const b = c.make(o.elements).reverse();
    const out = c.make(o.elements);
    const kernel = resolveOp(c.op, c.dtype).kernel;
    for (let i = 0; i < 5; i++) {
      kernel(a, b, out);
      c.baseline(a, b, out);
    }
    const slice = o.budgetMs / (2 * o.rounds);
    let bestKernel = 0;
    let bestBaseline = 0;
    for (let r = 0; r < o.rounds; r++) {
      bestKernel = Math.max(
        bestKernel,
        rate(() => kernel(a, b, out), o.elements, slice),
      );
      bestBaseline = Math.max(
        bestBaseline,
        rate(() => c.baseline(a, b, out), o.elements, slice),
      );
    }
    return { name: c.name, kernel: bestKernel, baseline: bestBaseline };
  });
}

/** Elements per second of `run` over about `ms` milliseconds (at least one call). */
function rate(run: () => void, elements: number, ms: number): number {
  const t0 = process.hrtime.bigint();
  let calls = 0;
  let elapsed = 0;
  do {
    run();
    calls++;
    elapsed = Number(process.hrtime.bigint() - t0) / 1e6;
  } while (elapsed < ms);
  return (calls * elements) / (elapsed / 1000);
}

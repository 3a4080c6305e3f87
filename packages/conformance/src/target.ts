import type { Channel } from '@fmi/core';

/** A channel under test, as its author describes it to the suite. */
export interface ConformanceTarget {
  /** Channel name, e.g. `redis`; must equal the endpoints' `name`. */
  readonly name: string;
  readonly kind: 'message' | 'object';
  /** `size` fresh endpoints of the channel for one job (endpoint i = rank i), not yet opened. */
  createEndpoints(size: number, job: string): Promise<Channel[]> | Channel[];
  /** Object channels: keys left under the job (for the cleanup checks). */
  leftovers?(job: string): Promise<string[]>;
  /** Makes rank `rank` vanish abruptly (peer-lost / timeout tests); absent → those tests skip with a reason. */
  kill?(endpoints: Channel[], rank: number): Promise<void> | void;
  /** World sizes of the collective tests; default 1..17. */
  readonly sizes?: readonly number[];
  /** World sizes of the fast subset (two dtypes, small buffers); default [64]. */
  readonly bigSizes?: readonly number[];
  /** Default deadline of every operation in the suite, ms; default 10,000. */
  readonly timeoutMs?: number;
}

/** A target with its defaults filled in. */
export interface ResolvedTarget extends ConformanceTarget {
  readonly sizes: readonly number[];
  readonly bigSizes: readonly number[];
  readonly timeoutMs: number;
  /** Runner timeout of one test, ms: generous, since a failing rank makes the others wait for the op deadline. */
  readonly testTimeoutMs: number;
}

export const DEFAULT_SIZES: readonly number[] = Array.from({ length: 17 }, (_, i) => i + 1);
export const DEFAULT_BIG_SIZES: readonly number[] = [64];
export const DEFAULT_TIMEOUT_MS = 10_000;

export function resolveTarget(target: ConformanceTarget): ResolvedTarget {
  const sizes = [...(target.sizes ?? DEFAULT_SIZES)];
  const bigSizes = [...(target.bigSizes ?? DEFAULT_BIG_SIZES)];
  for (const n of [...sizes, ...bigSizes]) {
    if (!Number.isInteger(n) || n < 1) throw new TypeError(`[conformance] ${target.name}: world sizes must be positive integers, got ${n}`);
  }
  const timeoutMs = target.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return {
    ...target,
    createEndpoints: (size, job) => target.createEndpoints(size, job),
    leftovers: target.leftovers ? (job) => target.leftovers!(job) : undefined,
    kill: target.kill ? (endpoints, rank) => target.kill!(endpoints, rank) : undefined,
    sizes,
    bigSizes,
    timeoutMs,
    testTimeoutMs: 6 * timeoutMs + 60_000,
  };
}

import { memoryObjectChannel, type RunWorldOptions } from '@fmi/core/testing';

/**
 * The two channel families every example test runs over: in-memory message channels (the direct
 * channel's algorithms) and in-memory object channels (the algorithms for Redis, S3 and the other
 * stores). Collectives take different algorithms — and so different summation orders — on each.
 */
export const CHANNEL_KINDS: ReadonlyArray<readonly [string, RunWorldOptions]> = [
  ['message channel', {}],
  ['object channel', { channels: (_rank, hub) => [memoryObjectChannel(hub)] }],
];

/** Largest |a_i − b_i| relative to the largest |b_i|: the error measure of a whole weight vector. */
export function normRelativeError(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) throw new RangeError(`lengths differ: ${a.length} vs ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

/** Largest elementwise relative difference |a_i − b_i| / max(|a_i|, |b_i|) (0 where both are 0). */
export function elementRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`lengths differ: ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d > 0) worst = Math.max(worst, d / Math.max(Math.abs(a[i]), Math.abs(b[i])));
  }
  return worst;
}

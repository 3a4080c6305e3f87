import { type Channel, Deadline } from '@fmi/core';
import type { ConformanceTarget } from './target.js';

/**
 * Opening endpoints directly, for the primitive tests (below the communicator). The context is what
 * core gives `open()`: who the endpoint is, a silent logger, the system clock and a deadline.
 */

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const clock = { now: () => Date.now() };

/** A deadline of `ms` from now, as every channel wait takes. */
export function deadline(ms: number, what = 'conformance'): Deadline {
  return new Deadline(ms, what);
}

export async function openEndpoints<C extends Channel>(target: ConformanceTarget, size: number, job: string, timeoutMs: number): Promise<C[]> {
  const endpoints = (await target.createEndpoints(size, job)) as C[];
  await Promise.all(endpoints.map((e, rank) => e.open({ rank, size, job, logger: silent, clock, deadline: deadline(timeoutMs, 'open') })));
  return endpoints;
}

export async function closeEndpoints(endpoints: readonly Channel[]): Promise<void> {
  await Promise.all(endpoints.map((e) => e.close()));
}

import type { ConformanceTarget, SuitePart } from '@fmi/conformance';
import { type Channel, FmiError } from '@fmi/core';
import { createMemoryHub, type MemoryHub, memoryMessageChannel, memoryObjectChannel } from '@fmi/core/testing';

/**
 * The columns of the cross-provider matrix: one per channel configuration. A column builds a
 * conformance target (endpoints for a job, leftovers, kill) once its backing service is available;
 * `available()` says whether it can run here and, when not, why (the reason becomes the skip text).
 *
 * Adding a column (redis, direct, s3, ...) is one entry here plus, when it needs a server, a line in
 * the test file that starts it: see test/README.md.
 */
export interface MatrixColumn {
  /** Column name as it appears in the test names (a channel may have several columns). */
  readonly name: string;
  /** Which test file runs the column (one file per family, so families run in parallel). */
  readonly family: string;
  /** `true`, or the reason the column cannot run here. */
  available(): Promise<true | string> | true | string;
  /** The conformance target; called only when available. */
  target(): Promise<ConformanceTarget> | ConformanceTarget;
  /** Only these parts of the suite (default all): for extra columns that probe one aspect. */
  readonly parts?: readonly SuitePart[];
}

/**
 * In-memory targets: one hub per job, so `leftovers(job)` and `kill()` act on exactly that job's
 * "network" or "store".
 */
function memoryTarget(name: string, kind: 'message' | 'object', make: (hub: MemoryHub) => Channel): ConformanceTarget {
  const hubs = new Map<string, MemoryHub>();
  const hubOf = new WeakMap<Channel, { hub: MemoryHub; job: string }>();
  return {
    name,
    kind,
    createEndpoints(size, job) {
      let hub = hubs.get(job);
      if (!hub) {
        hub = createMemoryHub();
        hubs.set(job, hub);
      }
      const endpoints = Array.from({ length: size }, () => make(hub));
      for (const e of endpoints) hubOf.set(e, { hub, job });
      return endpoints;
    },
    async leftovers(job) {
      return hubs.get(job)?.keys(job) ?? [];
    },
    kill(endpoints, rank) {
      const owner = hubOf.get(endpoints[rank]);
      if (!owner) throw new FmiError('invalid-argument', `[matrix] ${name}: endpoint ${rank} was not made by this target`);
      owner.hub.kill(rank, owner.job);
    },
  };
}

/** Sizes of the narrow columns: enough to cross the algorithms' thresholds without repeating the full sweep. */
const NARROW_SIZES = [1, 2, 3, 7, 16];

export const COLUMNS: readonly MatrixColumn[] = [
  {
    name: 'memory-msg',
    family: 'memory-msg',
    available: () => true,
    target: () => memoryTarget('memory-msg', 'message', (hub) => memoryMessageChannel(hub)),
  },
  {
    name: 'memory-obj (atomic counter, native wait)',
    family: 'memory-obj',
    available: () => true,
    target: () => memoryTarget('memory-obj', 'object', (hub) => memoryObjectChannel(hub, { atomicCounter: true, nativeWait: true })),
  },
  {
    name: 'memory-obj (no counter, polling: marker barrier and listing paths)',
    family: 'memory-obj-polling',
    available: () => true,
    target: () => memoryTarget('memory-obj', 'object', (hub) => memoryObjectChannel(hub, { atomicCounter: false, nativeWait: false })),
  },
  // Small payload limits: core must never hand a channel more than it declares (narrow columns).
  {
    name: 'memory-msg (maxPayloadBytes 4 KiB)',
    family: 'memory-small-payloads',
    available: () => true,
    target: () => ({
      ...memoryTarget('memory-msg', 'message', (hub) => memoryMessageChannel(hub, { maxPayloadBytes: 4096 })),
      sizes: NARROW_SIZES,
      bigSizes: [],
    }),
    parts: ['primitives', 'payload-limits'],
  },
  {
    name: 'memory-obj (maxPayloadBytes 4 KiB, no counter)',
    family: 'memory-small-payloads',
    available: () => true,
    target: () => ({
      ...memoryTarget('memory-obj', 'object', (hub) => memoryObjectChannel(hub, { maxPayloadBytes: 4096, atomicCounter: false })),
      sizes: NARROW_SIZES,
      bigSizes: [],
    }),
    parts: ['primitives', 'payload-limits'],
  },
];

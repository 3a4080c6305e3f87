import type { Runner } from './runner.js';
import { badArgumentSuites } from './suites/bad-arguments.js';
import { cleanupSuites } from './suites/cleanup.js';
import { collectiveSuites } from './suites/collectives.js';
import { customOpSuites } from './suites/custom-ops.js';
import { failureSuites } from './suites/failures.js';
import { messagePrimitiveSuites } from './suites/message-primitives.js';
import { objectPrimitiveSuites } from './suites/object-primitives.js';
import { p2pSuites } from './suites/p2p.js';
import { payloadLimitSuites } from './suites/payload-limits.js';
import { splitSuites } from './suites/split.js';
import { stressSuites } from './suites/stress.js';
import { valueSuites } from './suites/values.js';
import { type ConformanceTarget, resolveTarget } from './target.js';

/** The parts of the suite, in the order they run; `only` in {@link RunOptions} selects some. */
export type SuitePart =
  | 'primitives'
  | 'p2p'
  | 'collectives'
  | 'custom-ops'
  | 'values'
  | 'split'
  | 'stress'
  | 'payload-limits'
  | 'failures'
  | 'cleanup'
  | 'bad-arguments';

export const SUITE_PARTS: readonly SuitePart[] = [
  'primitives',
  'p2p',
  'collectives',
  'custom-ops',
  'values',
  'split',
  'stress',
  'payload-limits',
  'failures',
  'cleanup',
  'bad-arguments',
];

export interface RunOptions {
  /** Run only these parts (default: all). Meant for debugging a channel, not for skipping in CI. */
  readonly only?: readonly SuitePart[];
}

/**
 * Registers the conformance suite for one channel with the given runner: primitives first, then
 * every collective over the target's world sizes × dtypes × roots × buffer variants, custom ops
 * against a left fold, value variants, split, many back-to-back and concurrent collectives, payload
 * limits, timeouts and lost peers, cleanup and bad arguments. Tests that cannot apply to the target
 * are registered as skipped, with the reason in their name.
 */
export function runConformance(runner: Runner, target: ConformanceTarget, options: RunOptions = {}): void {
  const resolved = resolveTarget(target);
  const wanted = new Set(options.only ?? SUITE_PARTS);
  runner.describe(`conformance: ${target.name} (${target.kind} channel)`, () => {
    if (wanted.has('primitives')) {
      if (resolved.kind === 'message') messagePrimitiveSuites(runner, resolved);
      else objectPrimitiveSuites(runner, resolved);
    }
    if (wanted.has('p2p')) p2pSuites(runner, resolved);
    if (wanted.has('collectives')) collectiveSuites(runner, resolved);
    if (wanted.has('custom-ops')) customOpSuites(runner, resolved);
    if (wanted.has('values')) valueSuites(runner, resolved);
    if (wanted.has('split')) splitSuites(runner, resolved);
    if (wanted.has('stress')) stressSuites(runner, resolved);
    if (wanted.has('payload-limits')) payloadLimitSuites(runner, resolved);
    if (wanted.has('failures')) failureSuites(runner, resolved);
    if (wanted.has('cleanup')) cleanupSuites(runner, resolved);
    if (wanted.has('bad-arguments')) badArgumentSuites(runner, resolved);
  });
}

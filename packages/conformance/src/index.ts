/**
 * `@fmi/conformance`: the suite every FMI channel must pass. Runner-agnostic: pass the runner's
 * `describe/it/expect/beforeAll/afterAll` and a {@link ConformanceTarget} that makes endpoints.
 */

export { makeData, Rng, seedOf } from './random.js';
export { leftFold } from './reference.js';
export { type RunOptions, runConformance, SUITE_PARTS, type SuitePart } from './run-conformance.js';
export type { Expect, Matchers, Runner, TestFn } from './runner.js';
export { type ConformanceTarget, DEFAULT_BIG_SIZES, DEFAULT_SIZES, DEFAULT_TIMEOUT_MS } from './target.js';
export { freshJob, type WithWorldOptions, type World, WorldError, withWorld } from './world.js';

/**
 * The few functions the suite needs from a test runner. vitest, jest and node:test-style runners
 * with `describe/it/expect` fit these shapes; the suite never imports a runner itself.
 */

/** The matchers the suite uses. Every jest-compatible `expect` has them. */
export interface Matchers {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toBeUndefined(): void;
  toBeLessThanOrEqual(expected: number): void;
  toBeGreaterThanOrEqual(expected: number): void;
  toContain(expected: unknown): void;
}

export type Expect = (actual: unknown) => Matchers;

export interface TestFn {
  (name: string, fn: () => unknown, timeoutMs?: number): void;
  /** Registers a skipped test; the suite puts the reason into the name. */
  skip?: (name: string, fn: () => unknown) => void;
}

export interface Runner {
  describe(name: string, fn: () => void): void;
  it: TestFn;
  expect: Expect;
  beforeAll(fn: () => unknown, timeoutMs?: number): void;
  afterAll(fn: () => unknown, timeoutMs?: number): void;
}

/** Registers a test that is skipped for a written reason (never silently). */
export function skipWithReason(runner: Runner, name: string, reason: string): void {
  const title = `${name} — skipped: ${reason}`;
  if (runner.it.skip) runner.it.skip(title, () => {});
  else
    runner.it(title, () => {
      // The runner has no skip: the test passes trivially, and the name says why.
    });
}

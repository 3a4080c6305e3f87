import { FmiError } from '@fmi/core';

/** What `fn()` resolved to: `NO_ERROR` when it succeeded, the error when it threw or rejected. */
export const NO_ERROR = Symbol('no error');

export async function errorOf(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
    return NO_ERROR;
  } catch (error) {
    return error;
  }
}

/**
 * How an async API call failed, for the bad-argument tests: `sync` is true when it threw instead
 * of returning a rejected promise (a contract violation: every operation is async).
 */
export async function failureOf(fn: () => unknown): Promise<string> {
  let promise: unknown;
  try {
    promise = fn();
  } catch (error) {
    return `threw synchronously instead of rejecting: ${summary(error)}`;
  }
  try {
    await promise;
    return 'succeeded';
  } catch (error) {
    return summary(error);
  }
}

/** `kind` of an FmiError, or a description of anything else that was thrown. */
export function summary(error: unknown): string {
  if (error === NO_ERROR) return 'succeeded';
  if (FmiError.is(error)) return error.kind;
  if (error instanceof Error) return `not an FmiError: ${error.name}: ${error.message}`;
  return `not an FmiError: ${String(error)}`;
}

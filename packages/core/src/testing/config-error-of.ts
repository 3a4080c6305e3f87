import { FmiError } from '../errors.js';

/**
 * The `config` error that `run` throws, for a test to check its field and message. Throws (failing
 * the test) when `run` returns, or throws anything but an `FmiError` of kind `config`.
 */
export function configErrorOf(run: () => unknown): FmiError {
  let result: unknown;
  try {
    result = run();
  } catch (error) {
    if (FmiError.isKind(error, 'config')) return error;
    throw new Error(`expected a config error, got ${String(error)}`, { cause: error });
  }
  throw new Error(`expected a config error, got a result: ${String(result)}`);
}

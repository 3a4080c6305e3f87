import { type StoreErrorKind, sdkErrorText, TRANSIENT_HTTP_STATUS, TRANSIENT_SOCKET_CODES } from '@fmi/core';
import { httpStatus, isAuthError, isThrottle, sdkErrorName } from '../sdk-errors.js';

/**
 * How the s3 driver reads a failure of `@aws-sdk/client-s3`. Service answers carry the HTTP status
 * in `$metadata.httpStatusCode` and the S3 error code as `name` (`NoSuchKey`, `InternalError`,
 * `SlowDown`); failures without an answer are Node socket errors (`code: 'ECONNREFUSED'`) or the
 * SDK's `TimeoutError`.
 */

/**
 * A GET whose body is shorter (or longer) than the length FMI wrote into the object's `fmi-len`
 * metadata, or an object without that metadata. S3 itself is atomic, but s3rver writes the file
 * before its content is flushed and can serve a truncated body (with metadata made up from the
 * partial file) even right after the PUT returned. The object is "not complete yet": the driver
 * throws this and `classifyS3Error` calls it transient, so the channel reads it again with backoff
 * within the operation's deadline — for a waiting get and a plain get alike (a plain get must not
 * answer "absent" for an object whose put has returned). On S3 it never fires.
 */
export class IncompleteS3ObjectError extends Error {
  override readonly name = 'IncompleteS3Object';
  constructor(name: string, got: number, expected: string | undefined) {
    super(
      expected === undefined
        ? `object "${name}" came back without its fmi-len metadata (${got} bytes) — a non-atomic S3-compatible server still writing it, or not written by FMI`
        : `object "${name}" came back with ${got} of ${expected} bytes — a non-atomic S3-compatible server still writing it`,
    );
  }
}

/**
 * S3 error codes another attempt may cure. `InternalError` ("We encountered an internal error.
 * Please try again.") and `ServiceUnavailable`/`SlowDown` are what AWS documents as retryable, and
 * s3rver answers an occasional LIST with 500 InternalError under load.
 */
const TRANSIENT_NAMES = new Set(['InternalError', 'ServiceUnavailable', 'SlowDown', 'RequestTimeout', 'RequestTimeoutException', 'TimeoutError']);
const SOCKET_CODES = new Set([...TRANSIENT_SOCKET_CODES, 'ECONNABORTED', 'UND_ERR_SOCKET']);

function socketCode(error: unknown): string | undefined {
  const e = error as { code?: unknown; errno?: unknown; cause?: { code?: unknown } } | null;
  for (const c of [e?.code, e?.errno, e?.cause?.code]) if (typeof c === 'string' && SOCKET_CODES.has(c)) return c;
  return undefined;
}

/** True for failures another attempt may cure: 408/429/5xx, throttling, InternalError, a reset or refused connection, an incomplete read. */
export function isTransientS3Error(error: unknown): boolean {
  if (error instanceof IncompleteS3ObjectError) return true;
  const status = httpStatus(error);
  if (status !== undefined && TRANSIENT_HTTP_STATUS.has(status)) return true;
  if (TRANSIENT_NAMES.has(sdkErrorName(error)) || isThrottle(error)) return true;
  return status === undefined && socketCode(error) !== undefined;
}

/**
 * - `NoSuchBucket` is `config` (the bucket is gone), even on a get: a waiting get must not poll a
 *   missing bucket until its deadline;
 * - 404 (`NoSuchKey`, and HEAD's bodiless `NotFound`) is `absent`;
 * - 412 is `conflict` (only a conditional write answers it);
 * - refused credentials are `auth`.
 */
export function classifyS3Error(error: unknown): StoreErrorKind {
  if (isTransientS3Error(error)) return 'transient';
  const name = sdkErrorName(error);
  const status = httpStatus(error);
  if (name === 'NoSuchBucket') return 'config';
  if (status === 404 || name === 'NoSuchKey' || name === 'NotFound') return 'absent';
  if (status === 412 || name === 'PreconditionFailed') return 'conflict';
  if (isAuthError(error) || status === 401 || status === 403) return 'auth';
  return 'failed';
}

export function describeS3Error(error: unknown): { status: number | undefined; text: string } {
  const name = sdkErrorName(error);
  return { status: httpStatus(error), text: sdkErrorText(error, name && name !== 'Error' ? name : socketCode(error)) };
}

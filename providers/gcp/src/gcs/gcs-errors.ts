import { type StoreErrorKind, sdkErrorText, TRANSIENT_HTTP_STATUS, TRANSIENT_SOCKET_CODES } from '@fmi/core';

/**
 * How the channel reads a failure of @google-cloud/storage. The SDK throws `ApiError` with the HTTP
 * status in `code` (a number) for answers, and node-fetch / gaxios errors with a string `code`
 * (`ECONNREFUSED`, ...) when no answer came.
 */

/** The HTTP status of an SDK error, when the service answered. */
export function httpStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'number') return code;
  const status = (error as { response?: { status?: unknown } }).response?.status;
  return typeof status === 'number' ? status : undefined;
}

/** Connections refused, reset or timed out, as Node and undici name them. */
const TRANSIENT_CODES = new Set([...TRANSIENT_SOCKET_CODES, 'UND_ERR_SOCKET', 'ECONNABORTED']);

/**
 * True for failures that another attempt may cure: 408/429/5xx, and connections refused, reset or
 * timed out. Google documents exactly these as retryable for Cloud Storage.
 */
export function isTransient(error: unknown): boolean {
  const status = httpStatus(error);
  if (status !== undefined) return TRANSIENT_HTTP_STATUS.has(status);
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
  const errno = (error as { errno?: unknown } | null)?.errno;
  return typeof errno === 'string' && TRANSIENT_CODES.has(errno);
}

/** 404: no such object (or, outside a get, no such bucket); 412: `ifGenerationMatch: 0` found an object. */
export function classifyGcsError(error: unknown): StoreErrorKind {
  if (isTransient(error)) return 'transient';
  const status = httpStatus(error);
  if (status === 404) return 'absent';
  if (status === 412) return 'conflict';
  return status === 401 || status === 403 ? 'auth' : 'failed';
}

export function describeGcsError(error: unknown): { status: number | undefined; text: string } {
  return { status: httpStatus(error), text: sdkErrorText(error) };
}

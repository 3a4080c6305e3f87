import { type StoreErrorKind, sdkErrorText, TRANSIENT_HTTP_STATUS, TRANSIENT_SOCKET_CODES } from '@fmi/core';

/**
 * How the channel reads a failure of @azure/storage-blob: `RestError` carries the HTTP status in
 * `statusCode` and the service's error code (`BlobNotFound`, `ContainerNotFound`, ...) in `code`;
 * socket failures carry the errno code (`ECONNREFUSED`) in `code` with no status.
 */

export function httpStatus(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

export function serviceCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

const TRANSIENT_CODES = new Set([...TRANSIENT_SOCKET_CODES, 'REQUEST_SEND_ERROR']);

/** 408/429/5xx and connections refused or reset: what Azure documents as retryable. */
export function isTransient(error: unknown): boolean {
  const status = httpStatus(error);
  if (status !== undefined) return TRANSIENT_HTTP_STATUS.has(status);
  const code = serviceCode(error);
  return code !== undefined && TRANSIENT_CODES.has(code);
}

/**
 * A missing container is `config` even on a get (a missing blob is an answer, a missing container
 * is a setting to fix); 409 BlobAlreadyExists (what Azure and azurite answer to If-None-Match: *)
 * and 412 are a create-only put's conflict.
 */
export function classifyBlobError(error: unknown): StoreErrorKind {
  if (isTransient(error)) return 'transient';
  const status = httpStatus(error);
  if (serviceCode(error) === 'ContainerNotFound') return 'config';
  if (status === 404) return 'absent';
  if (status === 412 || (status === 409 && serviceCode(error) === 'BlobAlreadyExists')) return 'conflict';
  return status === 401 || status === 403 ? 'auth' : 'failed';
}

export function describeBlobError(error: unknown): { status: number | undefined; text: string } {
  return { status: httpStatus(error), text: sdkErrorText(error, serviceCode(error)) };
}

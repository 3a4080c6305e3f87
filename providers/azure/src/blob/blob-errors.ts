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

const TRANSIENT_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'REQUEST_SEND_ERROR']);

/** 408/429/5xx and connections refused or reset: what Azure documents as retryable. */
export function isTransient(error: unknown): boolean {
  const status = httpStatus(error);
  if (status !== undefined) return TRANSIENT_STATUS.has(status);
  const code = serviceCode(error);
  return code !== undefined && TRANSIENT_CODES.has(code);
}

export function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = serviceCode(error);
    const first = error.message.split('\n')[0] ?? '';
    return code !== undefined && !first.includes(code) ? `${code}: ${first}` : first;
  }
  return String(error);
}

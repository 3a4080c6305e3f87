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

const TRANSIENT_STATUS = new Set([408, 429, 500, 502, 503, 504]);
/** Socket-level failures worth another try: the service may simply be busy or restarting. */
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'ECONNABORTED',
]);

/**
 * True for failures that another attempt may cure: 408/429/5xx, and connections refused, reset or
 * timed out. Google documents exactly these as retryable for Cloud Storage.
 */
export function isTransient(error: unknown): boolean {
  const status = httpStatus(error);
  if (status !== undefined) return TRANSIENT_STATUS.has(status);
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
  const errno = (error as { errno?: unknown } | null)?.errno;
  return typeof errno === 'string' && TRANSIENT_CODES.has(errno);
}

export function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const first = error.message.split('\n')[0] ?? '';
    return code !== undefined && !first.includes(String(code)) ? `${String(code)}: ${first}` : first;
  }
  return String(error);
}

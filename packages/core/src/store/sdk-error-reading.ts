/**
 * What every cloud store SDK's failures have in common. Google and Azure document the same
 * retryable statuses for their stores, and the same socket failures mean "no answer came, ask again".
 */

/** HTTP statuses another attempt may cure: timeout, throttling, server errors. */
export const TRANSIENT_HTTP_STATUS: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/** Socket-level failures worth another try: the service may simply be busy or restarting. A driver adds its SDK's own codes. */
export const TRANSIENT_SOCKET_CODES: readonly string[] = ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH'];

/** The first line of an SDK error's message, led by its code when the message does not already say it. */
export function sdkErrorText(error: unknown, code: unknown = (error as { code?: unknown } | null)?.code): string {
  if (!(error instanceof Error)) return String(error);
  const first = error.message.split('\n')[0] ?? '';
  return code !== undefined && !first.includes(String(code)) ? `${String(code)}: ${first}` : first;
}

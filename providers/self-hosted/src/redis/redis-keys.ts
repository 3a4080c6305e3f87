/**
 * How the Redis channel names things. Every object of a job lives under `${keyPrefix}${job}/`, so
 * two jobs never see each other's objects and one SCAN on that prefix finds everything a job left
 * (`fmi gc`). The pub/sub channel that announces an object has the same name as its key (channel
 * names and keys are separate namespaces in Redis).
 */

export const DEFAULT_KEY_PREFIX = 'fmi:';

/** One day: long enough for any function's lifetime, short enough that a crashed job's data goes away on its own. */
export const DEFAULT_TTL_SECONDS = 86_400;

export function jobPrefix(keyPrefix: string, job: string): string {
  return `${keyPrefix}${job}/`;
}

/** Escapes the glob characters of SCAN MATCH (`*`, `?`, `[`, `]`, `\`) so a prefix matches literally. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/** The SCAN MATCH pattern of every key that starts with `prefix`. */
export function prefixPattern(prefix: string): string {
  return `${escapeGlob(prefix)}*`;
}

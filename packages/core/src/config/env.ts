import { type ConfigOrigin, formatPath } from './config-error.js';
import type { FmiConfigInput } from './schema.js';

/**
 * The `FMI_*` variables that set configuration fields. Only these: rank, size and secret are the
 * launcher's business (read by `connect()`), channel settings such as `FMI_REDIS_URL` are read by
 * the provider that owns the channel, and `FMI_CONFIG` names the file.
 */
export const CONFIG_ENV_VARS = {
  FMI_HINT: 'hint',
  FMI_CHANNEL: 'channel',
  FMI_TIMEOUT_MS: 'timeoutMs',
  FMI_JOB: 'job',
  FMI_MEMORY_MIB: 'memoryMiB',
  FMI_LOG_LEVEL: 'logLevel',
} as const satisfies Record<string, keyof FmiConfigInput>;

type EnvField = (typeof CONFIG_ENV_VARS)[keyof typeof CONFIG_ENV_VARS];

const NUMERIC: ReadonlySet<EnvField> = new Set(['timeoutMs', 'memoryMiB']);
// Shell habit is upper case (FMI_LOG_LEVEL=DEBUG); the values themselves are lower-case words.
const CASE_INSENSITIVE: ReadonlySet<EnvField> = new Set(['hint', 'logLevel']);

/**
 * The configuration fields the environment sets, unvalidated (the caller validates them with the
 * schema so env values get the same checks and messages as file values). An empty variable counts
 * as unset, as `FMI_HINT= cmd` is the usual way to clear one for a single command.
 */
export function configFromEnv(env: Readonly<Record<string, string | undefined>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(CONFIG_ENV_VARS) as Array<[keyof typeof CONFIG_ENV_VARS, EnvField]>) {
    const raw = env[name];
    if (raw === undefined) continue;
    const text = raw.trim();
    if (text === '') continue;
    if (NUMERIC.has(field)) {
      // Only plain decimal numbers become numbers ("1.5" and "-3" too, so the schema can say what
      // is wrong with them); anything else stays a string and is reported as not a number, with
      // the text the variable held.
      out[field] = /^[+-]?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
    } else {
      out[field] = CASE_INSENSITIVE.has(field) ? text.toLowerCase() : text;
    }
  }
  return out;
}

/** Names the variable a field came from, so messages say `from FMI_TIMEOUT_MS`. */
export const envOrigin: ConfigOrigin = {
  describe: (path) => `from ${envVarFor(path) ?? 'the environment'}`,
  removeHint: (path) => `unset ${envVarFor(path) ?? 'the variable'}`,
};

function envVarFor(path: readonly PropertyKey[]): string | undefined {
  const field = formatPath(path.slice(0, 1));
  return Object.entries(CONFIG_ENV_VARS).find(([, f]) => f === field)?.[0];
}

import { envSetting, optionChecks, type SettingSources } from '@fmi/core';

const check = optionChecks('gcs', { channel: 'gcs' });

/** Settings of the `gcs` channel, from `gcp({ gcs })`, `channels.gcs` in config, or the environment. */
export interface GcsSettings {
  /** Bucket that holds the job's objects (env FMI_GCS_BUCKET). It must exist: FMI never creates buckets. */
  readonly bucket?: string;
  /** Prefix of every object name; default `fmi/`. Objects are `${prefix}${job}/${key}` (env FMI_GCS_PREFIX). */
  readonly prefix?: string;
  /** Project id passed to the client (env GOOGLE_CLOUD_PROJECT / GCLOUD_PROJECT). */
  readonly projectId?: string;
  /** API endpoint, for emulators (default: STORAGE_EMULATOR_HOST, else Google's). No auth is sent to a custom endpoint. */
  readonly endpoint?: string;
  /** Longest pause between two polls of a waiting `get`, ms; default 200. Lower is faster and costs more GETs. */
  readonly maxPollIntervalMs?: number;
}

/** The settings with defaults filled in. */
export interface ResolvedGcsSettings {
  readonly bucket: string;
  /** Where the bucket came from, named in `config` errors raised when the bucket turns out wrong. */
  readonly bucketField: string;
  readonly prefix: string;
  readonly projectId: string | undefined;
  readonly endpoint: string | undefined;
  readonly maxPollIntervalMs: number;
}

export const GCS_SETTING_KEYS = ['bucket', 'prefix', 'projectId', 'endpoint', 'maxPollIntervalMs'] as const;
export const DEFAULT_GCS_PREFIX = 'fmi/';
export const DEFAULT_MAX_POLL_INTERVAL_MS = 200;
/** Project id given to the client for an emulator when none is configured: emulators want one, any will do. */
export const EMULATOR_PROJECT_ID = 'fmi-emulator';

/**
 * Cloud Storage bucket names: 3-63 characters (up to 222 with dots), lower-case letters, digits,
 * `-`, `_` and `.`, starting and ending with a letter or digit. Checked here so a typo fails at
 * connect() with the field named, not as a 400 from the service on the first collective.
 */
function bucketProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 222) return 'a bucket name has 3 to 63 characters (222 with dots)';
  if (!name.includes('.') && name.length > 63) return 'a bucket name without dots has at most 63 characters';
  if (!/^[a-z0-9][a-z0-9._-]*[a-z0-9]$/.test(name))
    return 'a bucket name holds lower-case letters, digits, "-", "_" and ".", and starts and ends with a letter or digit';
  if (name.startsWith('goog')) return 'bucket names cannot start with "goog"';
  return undefined;
}

function prefixProblem(prefix: string): string | undefined {
  if (Buffer.byteLength(prefix) > 512) return 'at most 512 bytes';
  if (prefix.startsWith('/')) return 'must not start with "/" (object names are relative to the bucket)';
  if (/[\r\n]/.test(prefix)) return 'must not hold line breaks';
  return undefined;
}

/** Checks one source of settings strictly; `path` prefixes field names (`channels.gcs`, `gcp.gcs`). */
export function checkGcsSettings(input: unknown, path: string): GcsSettings {
  if (input === undefined) return {};
  const record = check.record(input, path, GCS_SETTING_KEYS);
  if (record.bucket !== undefined) check.string(record.bucket, `${path}.bucket`, bucketProblem);
  if (record.prefix !== undefined) check.string(record.prefix, `${path}.prefix`, prefixProblem);
  if (record.projectId !== undefined)
    check.string(record.projectId, `${path}.projectId`, (s) =>
      /^[a-z][a-z0-9-]{4,28}[a-z0-9]$|^[a-z0-9.:-]{1,100}$/.test(s) ? undefined : 'expected a Google Cloud project id',
    );
  if (record.endpoint !== undefined) check.httpUrl(record.endpoint, `${path}.endpoint`);
  if (record.maxPollIntervalMs !== undefined) check.int(record.maxPollIntervalMs, `${path}.maxPollIntervalMs`, 1, 60_000);
  return record as GcsSettings;
}

/**
 * Merges config (`channels.gcs`), environment and options (`optionsPath` default `gcp.gcs`) — later winning — and fills in defaults.
 * Returns `undefined` when no source mentions the channel at all (it is then not offered); throws
 * `config` when a source is present but names no bucket.
 */
export function resolveGcsSettings(sources: SettingSources<GcsSettings>): ResolvedGcsSettings | undefined {
  const env = sources.env ?? {};
  const optionsPath = sources.optionsPath ?? 'gcp.gcs';
  const fromConfig = checkGcsSettings(sources.config, 'channels.gcs');
  const fromOptions = checkGcsSettings(sources.options, optionsPath);
  const envBucket = envSetting(env, 'FMI_GCS_BUCKET');
  const envPrefix = env.FMI_GCS_PREFIX;
  if (envBucket !== undefined) check.string(envBucket, 'FMI_GCS_BUCKET', bucketProblem);
  if (envPrefix !== undefined) check.string(envPrefix, 'FMI_GCS_PREFIX', prefixProblem);
  const envEndpoint = envSetting(env, 'STORAGE_EMULATOR_HOST');
  if (envEndpoint !== undefined) check.httpUrl(envEndpoint, 'STORAGE_EMULATOR_HOST');

  const [bucket, bucketField] =
    fromOptions.bucket !== undefined
      ? [fromOptions.bucket, `${optionsPath}.bucket`]
      : envBucket !== undefined
        ? [envBucket, 'FMI_GCS_BUCKET']
        : [fromConfig.bucket, 'channels.gcs.bucket'];
  if (bucket === undefined) {
    if (sources.options !== undefined) throw check.error(`${optionsPath}.bucket`, 'no bucket: set it here, in FMI_GCS_BUCKET or in channels.gcs.bucket');
    if (sources.config !== undefined)
      throw check.error('channels.gcs.bucket', 'no bucket: the channels.gcs section is present but names no bucket (or set FMI_GCS_BUCKET)');
    return undefined;
  }
  const endpoint = fromOptions.endpoint ?? envEndpoint ?? fromConfig.endpoint;
  const projectId =
    fromOptions.projectId ??
    envSetting(env, 'GOOGLE_CLOUD_PROJECT') ??
    envSetting(env, 'GCLOUD_PROJECT') ??
    fromConfig.projectId ??
    (endpoint !== undefined ? EMULATOR_PROJECT_ID : undefined);
  return {
    bucket,
    bucketField,
    prefix: fromOptions.prefix ?? envPrefix ?? fromConfig.prefix ?? DEFAULT_GCS_PREFIX,
    projectId,
    endpoint,
    maxPollIntervalMs: fromOptions.maxPollIntervalMs ?? fromConfig.maxPollIntervalMs ?? DEFAULT_MAX_POLL_INTERVAL_MS,
  };
}

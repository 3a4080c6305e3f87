import type { ChannelModel } from '@fmi/core';
import {
  type AwsCredentialsOption,
  checkBoolean,
  checkCredentials,
  checkEndpoint,
  checkInt,
  checkObject,
  checkString,
  configError,
  REGION_PATTERN,
} from '../settings-check.js';

/** Settings of the S3 channel (programmatic `aws({ s3 })` options, `channels.s3` in config, or env). */
export interface S3ChannelSettings {
  /** Bucket that holds the objects (FMI_S3_BUCKET). It must exist: FMI never creates buckets. */
  readonly bucket?: string;
  /** Prefix of every key; default `fmi/`. Keys are `${prefix}${job}/${key}` (FMI_S3_PREFIX). */
  readonly prefix?: string;
  /** Region; default AWS_REGION / AWS_DEFAULT_REGION, then `us-east-1`. */
  readonly region?: string;
  /** Endpoint of an S3-compatible server, e.g. `http://127.0.0.1:4568` (FMI_S3_ENDPOINT). */
  readonly endpoint?: string;
  /** Path-style URLs (`endpoint/bucket/key`); default true when `endpoint` is set. */
  readonly forcePathStyle?: boolean;
  /** Objects at least this large go up as multipart uploads; default 16 MiB (min 5 MiB). */
  readonly multipartThresholdBytes?: number;
  /** Part size of multipart uploads; default 8 MiB (S3's minimum is 5 MiB). */
  readonly partSizeBytes?: number;
  /** First delay of a polled `get(wait)`, ms; default 10. */
  readonly pollFirstDelayMs?: number;
  /** Longest delay between polls, ms; default 200. */
  readonly pollMaxDelayMs?: number;
}

/** Programmatic-only extras: never read from files or the environment. */
export interface S3ProgrammaticOptions extends S3ChannelSettings {
  /** Credentials; default the standard AWS chain (env, profile, container/instance role). */
  readonly credentials?: AwsCredentialsOption;
  /** Overrides of the model defaults (a calibration profile). */
  readonly model?: Partial<ChannelModel>;
}

export interface ResolvedS3Settings {
  readonly bucket: string;
  /** Where the bucket name came from, named in errors. */
  readonly bucketField: string;
  readonly prefix: string;
  readonly region: string;
  readonly endpoint: string | undefined;
  readonly forcePathStyle: boolean;
  readonly multipartThresholdBytes: number;
  readonly partSizeBytes: number;
  readonly pollFirstDelayMs: number;
  readonly pollMaxDelayMs: number;
  readonly credentials: AwsCredentialsOption | undefined;
  readonly model: Partial<ChannelModel> | undefined;
}

export const S3_SETTING_KEYS = [
  'bucket',
  'prefix',
  'region',
  'endpoint',
  'forcePathStyle',
  'multipartThresholdBytes',
  'partSizeBytes',
  'pollFirstDelayMs',
  'pollMaxDelayMs',
] as const;
const PROGRAMMATIC_KEYS = [...S3_SETTING_KEYS, 'credentials', 'model'] as const;

const MiB = 1024 * 1024;
export const S3_MIN_PART_BYTES = 5 * MiB;
export const S3_MAX_PARTS = 10_000;
/** S3's single-PUT ceiling is 5 GiB; a Node Buffer tops out at 2^31-1 on some builds, so we stop there. */
export const S3_MAX_OBJECT_BYTES = 2 ** 31 - 1;

/** AWS bucket naming rules (3-63 characters, lower case, digits, dots, hyphens). */
const BUCKET_PATTERN = { re: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, what: 'a bucket name (3-63 lower-case letters, digits, "." and "-")' };

/** Checks one source strictly; `path` prefixes field names (`channels.s3`, `aws.s3`). */
export function checkS3Settings(input: unknown, path: string, programmatic: boolean): S3ProgrammaticOptions {
  if (input === undefined) return {};
  const r = checkObject('s3', input, path, programmatic ? PROGRAMMATIC_KEYS : S3_SETTING_KEYS);
  checkString('s3', r.bucket, `${path}.bucket`, BUCKET_PATTERN);
  if (r.prefix !== undefined && (typeof r.prefix !== 'string' || r.prefix.length > 512)) {
    throw configError('s3', `${path}.prefix`, `expected a string of at most 512 characters (may be empty), got ${String(r.prefix)}`);
  }
  checkString('s3', r.region, `${path}.region`, REGION_PATTERN);
  checkEndpoint('s3', r.endpoint, `${path}.endpoint`);
  checkBoolean('s3', r.forcePathStyle, `${path}.forcePathStyle`);
  checkInt('s3', r.multipartThresholdBytes, `${path}.multipartThresholdBytes`, S3_MIN_PART_BYTES, S3_MAX_OBJECT_BYTES, 'bytes');
  checkInt('s3', r.partSizeBytes, `${path}.partSizeBytes`, S3_MIN_PART_BYTES, 5 * 1024 * MiB, 'bytes');
  checkInt('s3', r.pollFirstDelayMs, `${path}.pollFirstDelayMs`, 1, 10_000, 'ms');
  checkInt('s3', r.pollMaxDelayMs, `${path}.pollMaxDelayMs`, 1, 60_000, 'ms');
  if (programmatic) {
    checkCredentials('s3', r.credentials, `${path}.credentials`);
    if (r.model !== undefined && (typeof r.model !== 'object' || r.model === null))
      throw configError('s3', `${path}.model`, 'expected an object of model parameters');
  }
  return r as S3ProgrammaticOptions;
}

export interface S3Sources {
  readonly options?: S3ProgrammaticOptions | undefined;
  readonly config?: unknown;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Shared `aws({ region, credentials })`. */
  readonly region?: string | undefined;
  readonly credentials?: AwsCredentialsOption | undefined;
}

/**
 * Merges config file, environment, then programmatic options (later wins) and fills defaults.
 * Returns `undefined` when no source mentions S3 at all (the channel is then not offered); throws
 * `config` when S3 settings are present but name no bucket.
 */
export function resolveS3Settings(sources: S3Sources): ResolvedS3Settings | undefined {
  const env = sources.env ?? {};
  const fromConfig = checkS3Settings(sources.config, 'channels.s3', false);
  const fromOptions = checkS3Settings(sources.options, 'aws.s3', true);
  const envBucket = nonEmpty(env.FMI_S3_BUCKET);
  const envEndpoint = nonEmpty(env.FMI_S3_ENDPOINT);
  const envPrefix = env.FMI_S3_PREFIX;
  if (envBucket !== undefined) checkString('s3', envBucket, 'FMI_S3_BUCKET', BUCKET_PATTERN);
  if (envEndpoint !== undefined) checkEndpoint('s3', envEndpoint, 'FMI_S3_ENDPOINT');

  const present =
    sources.config !== undefined || sources.options !== undefined || envBucket !== undefined || envEndpoint !== undefined || nonEmpty(envPrefix) !== undefined;
  if (!present) return undefined;

  const [bucket, bucketField] =
    fromOptions.bucket !== undefined
      ? [fromOptions.bucket, 'aws.s3.bucket']
      : envBucket !== undefined
        ? [envBucket, 'FMI_S3_BUCKET']
        : [fromConfig.bucket, 'channels.s3.bucket'];
  if (bucket === undefined) {
    throw configError(
      's3',
      'channels.s3.bucket',
      'S3 settings are present but name no bucket — set channels.s3.bucket, FMI_S3_BUCKET or aws({ s3: { bucket } })',
    );
  }
  const endpoint = fromOptions.endpoint ?? envEndpoint ?? fromConfig.endpoint;
  const partSizeBytes = fromOptions.partSizeBytes ?? fromConfig.partSizeBytes ?? 8 * MiB;
  const multipartThresholdBytes = fromOptions.multipartThresholdBytes ?? fromConfig.multipartThresholdBytes ?? 16 * MiB;
  const pollFirstDelayMs = fromOptions.pollFirstDelayMs ?? fromConfig.pollFirstDelayMs ?? 10;
  const pollMaxDelayMs = fromOptions.pollMaxDelayMs ?? fromConfig.pollMaxDelayMs ?? 200;
  if (pollMaxDelayMs < pollFirstDelayMs) throw configError('s3', 'channels.s3.pollMaxDelayMs', `must be at least pollFirstDelayMs (${pollFirstDelayMs})`);
  return {
    bucket,
    bucketField,
    prefix: fromOptions.prefix ?? envPrefix ?? fromConfig.prefix ?? 'fmi/',
    region: fromOptions.region ?? fromConfig.region ?? sources.region ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? 'us-east-1',
    endpoint,
    forcePathStyle: fromOptions.forcePathStyle ?? fromConfig.forcePathStyle ?? endpoint !== undefined,
    multipartThresholdBytes,
    partSizeBytes,
    pollFirstDelayMs,
    pollMaxDelayMs,
    credentials: fromOptions.credentials ?? sources.credentials,
    model: fromOptions.model,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

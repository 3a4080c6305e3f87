import { FmiError } from '@fmi/core';

/**
 * Strict checks of one source of settings (programmatic options, a config section, an
 * environment variable). Every failure is an FmiError of kind `config` that names the field with
 * its full path (`channels.s3.bucket`, `aws.dynamodb.ttlSeconds`, `FMI_S3_ENDPOINT`), so a bad
 * setting fails `connect()` before any rank talks — after that it would be a distributed hang.
 */

export function configError(channel: string, field: string, message: string, cause?: unknown): FmiError {
  return new FmiError('config', `[${channel}] ${field}: ${message}`, { field, channel, cause });
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

/** Checks that `input` is a plain object holding only `known` keys; returns it as a record. */
export function checkObject(channel: string, input: unknown, path: string, known: readonly string[]): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw configError(channel, path, `expected an object with some of ${known.join(', ')}, got ${describeValue(input)}`);
  }
  const record = input as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!known.includes(key)) throw configError(channel, `${path}.${key}`, `unknown setting — known: ${known.join(', ')}`);
  }
  return record;
}

export function checkString(channel: string, value: unknown, field: string, pattern?: { re: RegExp; what: string }): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) throw configError(channel, field, `expected a non-empty string, got ${describeValue(value)}`);
  if (pattern && !pattern.re.test(value)) throw configError(channel, field, `${describeValue(value)} is not ${pattern.what}`);
  return value;
}

export function checkBoolean(channel: string, value: unknown, field: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw configError(channel, field, `expected true or false, got ${describeValue(value)}`);
  return value;
}

export function checkInt(channel: string, value: unknown, field: string, min: number, max: number, unit = ''): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw configError(channel, field, `expected a whole number${unit ? ` of ${unit}` : ''} from ${min} to ${max}, got ${describeValue(value)}`);
  }
  return value;
}

/** An `http(s)://host[:port]` endpoint of an AWS-compatible service. */
export function checkEndpoint(channel: string, value: unknown, field: string): string | undefined {
  const text = checkString(channel, value, field);
  if (text === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch (cause) {
    throw configError(channel, field, `"${text}" is not a URL — use http://host:port or https://host`, cause);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw configError(channel, field, `"${text}" must use http:// or https://`);
  if (url.username || url.password) throw configError(channel, field, 'must not carry credentials — use the standard AWS credential chain');
  return text;
}

/** AWS region names (`us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`). */
export const REGION_PATTERN = { re: /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, what: 'an AWS region such as "us-east-1"' };

/** Static credentials or a provider function, for programmatic use only (never from files). */
export type AwsCredentialsOption =
  | { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string }
  | (() => Promise<{ readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string; readonly expiration?: Date }>);

export function checkCredentials(channel: string, value: unknown, field: string): AwsCredentialsOption | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'function') return value as AwsCredentialsOption;
  // The SDK's own identity type has more optional fields, and the SDK tags objects it was given
  // with `$source`: accept those so an object that went through a client once is still valid.
  if (typeof value !== 'object' || value === null)
    throw configError(channel, field, `expected { accessKeyId, secretAccessKey } or a provider function, got ${describeValue(value)}`);
  const known = ['accessKeyId', 'secretAccessKey', 'sessionToken', 'expiration', 'credentialScope', 'accountId'];
  const record = checkObject(channel, Object.fromEntries(Object.entries(value).filter(([k]) => !k.startsWith('$'))), field, known);
  checkString(channel, record.accessKeyId, `${field}.accessKeyId`);
  checkString(channel, record.secretAccessKey, `${field}.secretAccessKey`);
  if (record.accessKeyId === undefined || record.secretAccessKey === undefined) {
    throw configError(channel, field, 'needs both accessKeyId and secretAccessKey (or leave it out to use the standard AWS credential chain)');
  }
  checkString(channel, record.sessionToken, `${field}.sessionToken`);
  return value as AwsCredentialsOption;
}

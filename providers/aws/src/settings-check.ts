import { describeOptionValue, type FmiError, type OptionChecks, optionChecks } from '@fmi/core';

/**
 * Strict checks of one source of settings (programmatic options, a config section, an
 * environment variable). Every failure is an FmiError of kind `config` that names the field with
 * its full path (`channels.s3.bucket`, `aws.dynamodb.ttlSeconds`, `FMI_S3_ENDPOINT`), so a bad
 * setting fails `connect()` before any rank talks — after that it would be a distributed hang.
 * The generic checks are core's `optionChecks`; what is AWS's own lives here (regions, endpoints
 * without credentials, credential options).
 */

export function configError(channel: string, field: string, message: string, cause?: unknown): FmiError {
  return checks(channel).error(field, message, cause);
}

/** Core's strict option checks, worded `[channel]`; one set per channel (`s3`, `dynamodb`, `aws-lambda`, `aws`). */
const checksByChannel = new Map<string, OptionChecks>();
function checks(channel: string): OptionChecks {
  let c = checksByChannel.get(channel);
  if (!c) {
    c = optionChecks(channel, channel === 'aws' ? {} : { channel });
    checksByChannel.set(channel, c);
  }
  return c;
}

export const describeValue = describeOptionValue;

/** Checks that `input` is a plain object holding only `known` keys; returns it as a record. */
export function checkObject(channel: string, input: unknown, path: string, known: readonly string[]): Record<string, unknown> {
  return checks(channel).record(input, path, known);
}

/** A non-empty string (matching `pattern` when given), or nothing. */
export function checkString(channel: string, value: unknown, field: string, pattern?: { re: RegExp; what: string }): string | undefined {
  if (value === undefined) return undefined;
  return checks(channel).string(value, field, (s) =>
    s.length === 0 ? 'expected a non-empty string' : pattern && !pattern.re.test(s) ? `expected ${pattern.what}` : undefined,
  );
}

export function checkBoolean(channel: string, value: unknown, field: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw configError(channel, field, `expected true or false, got ${describeValue(value)}`);
  return value;
}

/** A whole number from `min` to `max` (`unit` is only documentation at the call site), or nothing. */
export function checkInt(channel: string, value: unknown, field: string, min: number, max: number, _unit = ''): number | undefined {
  return value === undefined ? undefined : checks(channel).int(value, field, min, max);
}

/** An `http(s)://host[:port]` endpoint of an AWS-compatible service, without credentials in it. */
export function checkEndpoint(channel: string, value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  const text = checks(channel).httpUrl(value, field);
  const url = new URL(text);
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

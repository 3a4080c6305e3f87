import { FmiError } from '@fmi/core';

/**
 * Strict checks of settings objects (options, config sections). A wrong setting must fail before
 * any rank starts talking — after that it becomes a distributed hang — so every check names the
 * exact field (`channels.gcs.bucket`, `gcp.functions.maxConcurrency`) in `FmiError.field`.
 */

/** `[fmi] [<where>] <field>: <message>`, kind `config`, with the field and channel set. */
export function configError(where: string, field: string, message: string, cause?: unknown): FmiError {
  return new FmiError('config', `[${where}] ${field}: ${message}`, { field, channel: where === 'gcs' ? 'gcs' : undefined, cause });
}

/** The object at `path`, after rejecting anything that is not a plain object and every key not in `known`. */
export function checkRecord(where: string, input: unknown, path: string, known: readonly string[]): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw configError(where, path, `expected an object with ${known.join(', ')}, got ${describeValue(input)}`);
  }
  const record = input as Record<string, unknown>;
  const unknown = Object.keys(record).filter((key) => !known.includes(key));
  if (unknown.length > 0) {
    throw configError(where, `${path}.${unknown[0]}`, `unknown setting${unknown.length > 1 ? `s ${unknown.join(', ')}` : ''} — known: ${known.join(', ')}`);
  }
  return record;
}

export function checkString(where: string, value: unknown, field: string, test: (s: string) => string | undefined): string {
  if (typeof value !== 'string') throw configError(where, field, `expected a string, got ${describeValue(value)}`);
  const problem = test(value);
  if (problem) throw configError(where, field, `${problem}, got ${describeValue(value)}`);
  return value;
}

export function checkInt(where: string, value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw configError(where, field, `expected a whole number from ${min} to ${max}, got ${describeValue(value)}`);
  }
  return value;
}

export function checkHttpUrl(where: string, value: unknown, field: string): string {
  return checkString(where, value, field, (s) => {
    try {
      const url = new URL(s);
      return url.protocol === 'http:' || url.protocol === 'https:' ? undefined : 'expected an http:// or https:// URL';
    } catch {
      return 'expected an http:// or https:// URL';
    }
  });
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'function') return 'a function';
  return `${typeof value} ${String(value)}`;
}

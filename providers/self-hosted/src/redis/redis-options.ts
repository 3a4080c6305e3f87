import { FmiError } from '@fmi/core';
import { DEFAULT_KEY_PREFIX, DEFAULT_TTL_SECONDS } from './redis-keys.js';

/** Settings of the Redis channel, from options, `channels.redis` in config, or `FMI_REDIS_URL`. */
export interface RedisChannelSettings {
  /** `redis://[user:password@]host:port[/db]` or `rediss://...` (TLS). */
  readonly url?: string;
  /** Prefix of every key and pub/sub channel; default `fmi:`. */
  readonly keyPrefix?: string;
  /** Lifetime of every key the channel writes, in seconds; default 86,400 (one day). */
  readonly ttlSeconds?: number;
}

/** The settings with defaults filled in and checked. */
export interface ResolvedRedisSettings {
  readonly url: string;
  readonly keyPrefix: string;
  readonly ttlSeconds: number;
  /** Where `url` came from, named in errors (`channels.redis.url`, `FMI_REDIS_URL`, ...). */
  readonly urlField: string;
}

const KNOWN_KEYS = ['url', 'keyPrefix', 'ttlSeconds'] as const;

/** Redis's own ceiling for EXPIRE is far above this; a year keeps typos (ms for s) visible. */
const MAX_TTL_SECONDS = 366 * 86_400;

function configError(field: string, message: string, cause?: unknown): FmiError {
  return new FmiError('config', `[redis] ${field}: ${message}`, { field, channel: 'redis', cause });
}

/**
 * Checks one source of settings strictly: unknown keys and wrong types fail with `config`, naming
 * the field as `${path}.<key>` (e.g. `channels.redis.ttlSeconds`).
 */
export function checkRedisSettings(input: unknown, path: string): RedisChannelSettings {
  if (input === undefined) return {};
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw configError(path, `expected an object with ${KNOWN_KEYS.join(', ')}, got ${describe(input)}`);
  }
  const record = input as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!(KNOWN_KEYS as readonly string[]).includes(key)) {
      throw configError(`${path}.${key}`, `unknown setting — the Redis channel knows ${KNOWN_KEYS.join(', ')}`);
    }
  }
  const { url, keyPrefix, ttlSeconds } = record;
  if (url !== undefined) checkRedisUrl(url, `${path}.url`);
  if (keyPrefix !== undefined && (typeof keyPrefix !== 'string' || keyPrefix.length > 256)) {
    throw configError(`${path}.keyPrefix`, `expected a string of at most 256 characters, got ${describe(keyPrefix)}`);
  }
  if (ttlSeconds !== undefined && (typeof ttlSeconds !== 'number' || !Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_TTL_SECONDS)) {
    throw configError(`${path}.ttlSeconds`, `expected a whole number of seconds from 1 to ${MAX_TTL_SECONDS}, got ${describe(ttlSeconds)}`);
  }
  return record as RedisChannelSettings;
}

/** Parses a Redis URL, failing with `config` naming `field` when node-redis could not use it. */
export function checkRedisUrl(url: unknown, field: string): URL {
  if (typeof url !== 'string' || url.length === 0) {
    throw configError(field, `expected a Redis URL such as redis://127.0.0.1:6379, got ${describe(url)}`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw configError(field, `"${redactUrl(url)}" is not a URL — use redis://host:port or rediss://host:port`, cause);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw configError(field, `"${redactUrl(url)}" has scheme "${parsed.protocol}" — use redis:// (or rediss:// for TLS)`);
  }
  if (parsed.hostname === '') throw configError(field, `"${redactUrl(url)}" names no host`);
  if (parsed.pathname !== '' && parsed.pathname !== '/' && !/^\/\d+$/.test(parsed.pathname)) {
    throw configError(field, `"${redactUrl(url)}": the path must be a database number such as /0`);
  }
  return parsed;
}

/** The URL with any password replaced, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/**
 * Merges the sources in the documented order — config file, then environment, then programmatic
 * options, later winning — and fills in defaults. Returns `undefined` when no URL is known: the
 * channel is then simply not offered.
 */
export function resolveRedisSettings(sources: {
  readonly config?: unknown;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly options?: RedisChannelSettings;
}): ResolvedRedisSettings | undefined {
  const fromConfig = checkRedisSettings(sources.config, 'channels.redis');
  const fromOptions = checkRedisSettings(sources.options, 'redis');
  const envUrl = sources.env?.FMI_REDIS_URL;
  const fromEnv: RedisChannelSettings = envUrl !== undefined && envUrl !== '' ? { url: envUrl } : {};
  if (fromEnv.url !== undefined) checkRedisUrl(fromEnv.url, 'FMI_REDIS_URL');

  const [url, urlField] =
    fromOptions.url !== undefined
      ? [fromOptions.url, 'redis.url']
      : fromEnv.url !== undefined
        ? [fromEnv.url, 'FMI_REDIS_URL']
        : [fromConfig.url, 'channels.redis.url'];
  if (url === undefined) return undefined;
  return {
    url,
    urlField,
    keyPrefix: fromOptions.keyPrefix ?? fromConfig.keyPrefix ?? DEFAULT_KEY_PREFIX,
    ttlSeconds: fromOptions.ttlSeconds ?? fromConfig.ttlSeconds ?? DEFAULT_TTL_SECONDS,
  };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

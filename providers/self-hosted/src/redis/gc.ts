import { Deadline, FmiError, withDeadline } from '@fmi/core';
import { createClient } from 'redis';
import { ErrorReply, fromErrorReply, socketCause } from './redis-errors.js';
import { DEFAULT_KEY_PREFIX, jobPrefix, prefixPattern } from './redis-keys.js';
import { checkRedisUrl, redactUrl } from './redis-options.js';

export interface DeleteJobKeysOptions {
  /** Bound of the whole clean-up; default 60 s. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Setting the URL came from, named in `config` errors; default `channels.redis.url`. */
  readonly urlField?: string;
}

const SCAN_COUNT = 1000;

/**
 * Removes every key a job left in Redis (what a crashed job could not delete itself) and returns
 * how many were removed. It walks the keyspace with SCAN MATCH on `${keyPrefix}${job}/` — never
 * KEYS, which would block the server — and UNLINKs each page as it goes. Used by `fmi gc`.
 */
export async function deleteJobKeys(url: string, job: string, keyPrefix: string = DEFAULT_KEY_PREFIX, options: DeleteJobKeysOptions = {}): Promise<number> {
  const urlField = options.urlField ?? 'channels.redis.url';
  checkRedisUrl(url, urlField);
  if (job.length === 0)
    throw new FmiError('invalid-argument', '[redis] gc: job must not be empty (it would match every job)', { field: 'job', channel: 'redis' });
  const deadline = new Deadline(options.timeoutMs ?? 60_000, `[redis] gc of job "${job}"`, options.signal);
  const client = createClient({ url, RESP: 3, disableOfflineQueue: true, socket: { reconnectStrategy: false } });
  let lastError: unknown;
  client.on('error', (error: unknown) => {
    lastError = error;
  });
  try {
    try {
      await withDeadline(client.connect(), deadline);
    } catch (error) {
      const cause = socketCause(error);
      if (cause instanceof ErrorReply) throw fromErrorReply(`connecting to ${redactUrl(url)}`, cause);
      throw new FmiError('config', `[redis] ${urlField}: cannot connect to ${redactUrl(url)}: ${cause instanceof Error ? cause.message : String(cause)}`, {
        field: urlField,
        channel: 'redis',
        cause: lastError ?? cause,
        retryable: true,
      });
    }
    const pattern = prefixPattern(jobPrefix(keyPrefix, job));
    let removed = 0;
    let cursor = '0';
    try {
      do {
        const reply = await withDeadline(client.scan(cursor, { MATCH: pattern, COUNT: SCAN_COUNT }), deadline);
        cursor = String(reply.cursor);
        if (reply.keys.length > 0) removed += await withDeadline(client.unlink(reply.keys), deadline);
      } while (cursor !== '0');
    } catch (error) {
      if (FmiError.is(error)) throw error;
      if (error instanceof ErrorReply) throw fromErrorReply(`gc of job "${job}"`, error);
      throw new FmiError('channel', `[redis] gc of job "${job}" failed: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
        channel: 'redis',
      });
    }
    return removed;
  } finally {
    deadline.dispose();
    if (client.isOpen) client.destroy();
  }
}

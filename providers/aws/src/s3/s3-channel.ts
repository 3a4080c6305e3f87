import { type ChannelModel, type ChannelStats, PolledStoreChannel } from '@fmi/core';
import { S3_MODEL_DEFAULTS } from '../model-defaults.js';
import { newS3RequestCounts, type S3RequestCounts, s3Driver, s3Store } from './s3-driver.js';
import { type ResolvedS3Settings, S3_MAX_OBJECT_BYTES } from './s3-settings.js';

export interface S3ChannelOptions extends Omit<ResolvedS3Settings, 'model'> {
  readonly model?: Partial<ChannelModel> | undefined;
  /** Sockets of the shared client; default 128. */
  readonly maxSockets?: number;
}

/**
 * The S3 object channel: core's `PolledStoreChannel` over the s3 driver. Every object is one S3
 * object under `${prefix}${job}/`; a waiting `get` polls with backoff (S3 has no notification a
 * function could receive in time); listing never leaves the job's prefix; every request is retried
 * on 408, 429, 5xx (InternalError, SlowDown), connection errors and incomplete reads until the
 * operation's deadline, with the SDK's own retries off; every request is counted for the cost model.
 *
 * S3 is strongly read-after-write consistent (since December 2020), so a get after another rank's
 * completed put always sees the object, and a list sees it too.
 *
 * Writes are not create-only: AWS S3 honours `If-None-Match: *`, but s3rver ignores it and other
 * S3-compatible servers (OpenStack Swift's s3api) answer 501, so a conditional put would work on
 * some servers only. Core writes every key once per job, so plain puts lose nothing but the check
 * against a stale job with the same id.
 */
export class S3Channel extends PolledStoreChannel {
  readonly #requests: S3RequestCounts;
  readonly #bucket: string;
  readonly #prefix: string;

  constructor(options: S3ChannelOptions) {
    const requests = newS3RequestCounts();
    super({
      name: 's3',
      maxObjectBytes: S3_MAX_OBJECT_BYTES,
      modelDefaults: S3_MODEL_DEFAULTS,
      // S3's poll delay is a fitted default (see model-defaults.ts), not half the longest interval.
      model: { pollDelayMs: S3_MODEL_DEFAULTS.pollDelayMs, ...options.model },
      prefix: options.prefix,
      firstPollIntervalMs: options.pollFirstDelayMs,
      maxPollIntervalMs: options.pollMaxDelayMs,
      createOnly: false,
      store: s3Store(options),
      connect: () => s3Driver({ ...options, maxSockets: options.maxSockets ?? 128 }, requests),
    });
    this.#requests = requests;
    this.#bucket = options.bucket;
    this.#prefix = options.prefix;
  }

  /** Where this rank's objects live: `s3://bucket/prefix/job/`. */
  get location(): string {
    const jobPrefix = super.stats().prefix;
    return `s3://${this.#bucket}/${typeof jobPrefix === 'string' && jobPrefix ? jobPrefix : `${this.#prefix}<job>/`}`;
  }

  /**
   * The channel's figures with S3's request counts: `gets` and `lists` here count GetObject and
   * ListObjectsV2 requests (misses and pages included), and `requests` groups every request by S3's
   * price classes (PUT/COPY/POST/LIST, GET; DELETE is free).
   */
  override stats(): ChannelStats {
    const c = this.#requests;
    return {
      ...super.stats(),
      ...c,
      requests: { put: c.puts + c.parts, get: c.gets, list: c.lists, delete: c.deleteRequests, head: c.heads },
    };
  }
}

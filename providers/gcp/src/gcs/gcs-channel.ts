import {
  type ChannelCapabilities,
  type ChannelModel,
  type ChannelOpenContext,
  type ChannelStats,
  Deadline,
  FmiError,
  type ObjectChannel,
  pollUntil,
  sleep,
  type WaitOptions,
  withDeadline,
} from '@fmi/core';
import type { Bucket, File } from '@google-cloud/storage';
import { GCS_MODEL_DEFAULTS } from '../model.js';
import { errorText, httpStatus, isTransient } from './gcs-errors.js';
import type { ResolvedGcsSettings } from './gcs-settings.js';
import { storageClient } from './storage-client.js';

/**
 * Largest object the channel puts in one request. Cloud Storage takes objects up to 5 TiB, but the
 * channel holds an object in memory and sends it in one multipart upload: 64 MiB keeps a function's
 * memory spike and one request's duration bounded, and core splits larger payloads into objects of
 * at most this size (one more request per 64 MiB costs nothing next to moving 64 MiB). The local
 * emulator caps request bodies near 130 MB, which this stays under.
 */
export const GCS_MAX_OBJECT_BYTES = 64 * 1024 * 1024;

/** Deletes in flight at once: the JSON API has no multi-object delete, so a cleanup is N requests. */
const DELETE_CONCURRENCY = 16;
/** Names per list page (the service's maximum). */
const LIST_PAGE = 1000;
/** First pause of a waiting get; grows ×2 up to `maxPollIntervalMs`. */
const FIRST_POLL_MS = 5;
/** Backoff of retries after transient failures (429, 5xx, resets): first pause and ceiling. */
const RETRY_FIRST_MS = 50;
const RETRY_MAX_MS = 2_000;
/** How long open() keeps retrying a failing service before it reports a config error. */
const OPEN_RETRY_MS = 10_000;

export interface GcsChannelOptions extends ResolvedGcsSettings {
  /** Overrides of the model defaults (a calibration profile, `model.channels.gcs` in config). */
  readonly model?: Partial<ChannelModel>;
}

/**
 * The Cloud Storage object channel. Objects are named `${prefix}${job}/${key}`; a waiting `get`
 * polls with exponential backoff and jitter, bounded by the operation's deadline (Cloud Storage has
 * no notification a function could wait on cheaply: Pub/Sub notifications arrive in seconds).
 *
 * Writes are create-only (`ifGenerationMatch: 0`): core never writes one key twice, so an object
 * that already exists means either our own earlier attempt landed (a retry after a lost answer —
 * then the content is equal and the put succeeds) or a key collision / a stale object of an earlier
 * job with the same id (then the put fails with `protocol` instead of silently mixing data). The
 * local emulator accepts but ignores the precondition; against it puts simply overwrite.
 *
 * Every request is retried on transient failures (408, 429, 5xx, connection errors) with backoff
 * until the operation's deadline; the SDK's own retries are off because they run on their own clock.
 */
export class GcsChannel implements ObjectChannel {
  readonly name = 'gcs';
  readonly kind = 'object' as const;
  readonly capabilities: ChannelCapabilities = {
    maxPayloadBytes: GCS_MAX_OBJECT_BYTES,
    // A counter would be a read-modify-write loop on generation preconditions: N ranks contending
    // cost O(N^2) requests at ~40 ms each, worse than core's marker barrier (N puts + lists).
    atomicCounter: false,
    nativeWait: false,
    // Buckets have lifecycle rules (age in days, by prefix), not per-object TTLs: see the README.
    ttl: false,
  };
  readonly model: ChannelModel;

  readonly #settings: ResolvedGcsSettings;
  #bucket: Bucket | undefined;
  #jobPrefix = '';
  #opened = false;
  #closed = false;
  readonly #counts = {
    puts: 0,
    gets: 0,
    polls: 0,
    lists: 0,
    listPages: 0,
    deletes: 0,
    retries: 0,
    conflicts: 0,
    bytesPut: 0,
    bytesGot: 0,
  };

  constructor(options: GcsChannelOptions) {
    const { model, ...settings } = options;
    this.#settings = settings;
    this.model = {
      ...GCS_MODEL_DEFAULTS,
      pollDelayMs: settings.maxPollIntervalMs / 2,
      ...model,
      pricePerRequest: { ...GCS_MODEL_DEFAULTS.pricePerRequest, ...model?.pricePerRequest },
    };
  }

  /**
   * Loads the SDK and checks that the bucket answers by listing at most one name under the job.
   * A missing bucket fails with `config` naming the setting it came from; refused credentials with
   * `auth`; a service that stays unreachable until the deadline with `config` (retryable).
   */
  async open(ctx: ChannelOpenContext): Promise<void> {
    if (this.#closed) throw new FmiError('closed', '[gcs] open() after close()', { channel: 'gcs' });
    if (this.#bucket) throw new FmiError('invalid-argument', '[gcs] open() called twice', { channel: 'gcs' });
    const storage = await withDeadline(storageClient({ projectId: this.#settings.projectId, endpoint: this.#settings.endpoint }), ctx.deadline);
    const bucket = storage.bucket(this.#settings.bucket);
    this.#jobPrefix = `${this.#settings.prefix}${ctx.job}/`;
    // Retry a failing service for at most OPEN_RETRY_MS: at open, a refused connection is far more
    // often a wrong endpoint than an outage, and connect() should say so soon.
    const deadline = new Deadline(Math.min(ctx.deadline.remaining(), OPEN_RETRY_MS), '[gcs] open', ctx.deadline.signal);
    try {
      await this.#run('open', '', deadline, () => bucket.getFiles({ prefix: this.#jobPrefix, maxResults: 1, autoPaginate: false }));
    } catch (error) {
      throw this.#openError(error);
    } finally {
      deadline.dispose();
    }
    this.#bucket = bucket;
    this.#opened = true;
    ctx.logger.debug('[fmi] [gcs] opened', { bucket: this.#settings.bucket, prefix: this.#jobPrefix, endpoint: this.#settings.endpoint ?? 'default' });
  }

  async put(key: string, data: Uint8Array, options: WaitOptions): Promise<void> {
    if (data.byteLength > GCS_MAX_OBJECT_BYTES) {
      throw new FmiError(
        'invalid-argument',
        `[gcs] put "${key}": ${data.byteLength} bytes is above the channel's object limit of ${GCS_MAX_OBJECT_BYTES} bytes — core splits larger payloads; call put with smaller objects`,
        {
          field: 'data',
          channel: 'gcs',
        },
      );
    }
    const file = this.#file(key);
    // Copy now: the caller may reuse its buffer as soon as put resolves, and a retry resends these bytes.
    const body = Buffer.from(data);
    try {
      await this.#run('put', key, options.deadline, () =>
        file.save(body, { resumable: false, contentType: 'application/octet-stream', preconditionOpts: { ifGenerationMatch: 0 } }),
      );
    } catch (error) {
      if (httpStatus(error) !== 412) throw error;
      await this.#resolveConflict(key, file, body, options.deadline);
    }
    this.#counts.puts++;
    this.#counts.bytesPut += body.byteLength;
  }

  async get(key: string, options: WaitOptions & { wait: boolean }): Promise<Uint8Array | undefined> {
    const file = this.#file(key);
    const once = () => this.#download(key, file, options.deadline);
    const value = options.wait
      ? await pollUntil(once, options.deadline, {
          firstDelayMs: FIRST_POLL_MS,
          maxDelayMs: this.#settings.maxPollIntervalMs,
          onPoll: () => {
            this.#counts.polls++;
          },
        })
      : await once();
    if (value) {
      this.#counts.gets++;
      this.#counts.bytesGot += value.byteLength;
    }
    return value;
  }

  async delete(keys: readonly string[], options: WaitOptions): Promise<void> {
    if (keys.length === 0) return;
    const files = keys.map((key) => [key, this.#file(key)] as const);
    let next = 0;
    const worker = async () => {
      while (next < files.length) {
        const [key, file] = files[next++]!;
        // Deleting an absent object is not an error (the contract), and makes retries safe.
        await this.#run('delete', key, options.deadline, () => file.delete({ ignoreNotFound: true }));
        this.#counts.deletes++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(DELETE_CONCURRENCY, files.length) }, worker));
  }

  /** Names under the job that start with `prefix`, page by page (1,000 names per request, a class A operation each). */
  async list(prefix: string, options: WaitOptions): Promise<string[]> {
    const bucket = this.#openBucket();
    const full = this.#jobPrefix + prefix;
    const strip = this.#jobPrefix.length;
    const names: string[] = [];
    let pageToken: string | undefined;
    do {
      const token = pageToken;
      const [files, nextQuery] = await this.#run('list', prefix, options.deadline, () =>
        bucket.getFiles({ prefix: full, maxResults: LIST_PAGE, autoPaginate: false, ...(token ? { pageToken: token } : {}) }),
      );
      this.#counts.listPages++;
      for (const f of files) names.push(f.name.slice(strip));
      pageToken = (nextQuery as { pageToken?: string } | null | undefined)?.pageToken;
    } while (pageToken);
    this.#counts.lists++;
    return names.sort();
  }

  /**
   * Marks the channel closed. It deletes nothing itself: the communicator deletes what the job
   * created (after every peer has read it) before it closes the channel. The client is shared by
   * the process (warm starts reuse it), so it stays.
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#opened = false;
    this.#bucket = undefined;
  }

  stats(): ChannelStats {
    return { ...this.#counts, bucket: this.#settings.bucket, prefix: this.#jobPrefix };
  }

  #openBucket(): Bucket {
    if (!this.#opened || !this.#bucket) {
      throw new FmiError(this.#closed ? 'closed' : 'invalid-argument', `[gcs] the channel is ${this.#closed ? 'closed' : 'not open'}`, { channel: 'gcs' });
    }
    return this.#bucket;
  }

  #file(key: string): File {
    return this.#openBucket().file(this.#jobPrefix + key);
  }

  /** One GET; `undefined` when the object does not exist (yet). */
  async #download(key: string, file: File, deadline: Deadline): Promise<Uint8Array | undefined> {
    try {
      const [contents] = await this.#run('get', key, deadline, () => file.download());
      return contents;
    } catch (error) {
      if (httpStatus(error) === 404) return undefined;
      throw error;
    }
  }

  /** A create-only put found an object in place: ours from an earlier attempt (equal bytes), or someone else's. */
  async #resolveConflict(key: string, file: File, body: Buffer, deadline: Deadline): Promise<void> {
    this.#counts.conflicts++;
    const existing = await this.#download(key, file, deadline);
    if (existing && Buffer.compare(Buffer.from(existing.buffer, existing.byteOffset, existing.byteLength), body) === 0) return;
    throw new FmiError(
      'protocol',
      `[gcs] put "${key}": gs://${this.#settings.bucket}/${this.#jobPrefix}${key} already exists with other content — two writers used one key, or an earlier job with the same id left objects behind: use a fresh job id or delete gs://${this.#settings.bucket}/${this.#jobPrefix}`,
      { channel: 'gcs', retryable: false },
    );
  }

  /**
   * Runs one request within the deadline, retrying transient failures with capped exponential
   * backoff (full jitter) by the deadline's clock. A deadline that passes while the service keeps
   * failing is the service's fault: `channel`, with the last failure as the cause.
   */
  async #run<T>(op: string, key: string, deadline: Deadline, request: () => Promise<T>): Promise<T> {
    let delay = RETRY_FIRST_MS;
    let lastTransient: unknown;
    for (;;) {
      if (this.#closed) throw new FmiError('closed', `[gcs] ${op} "${key}": the channel was closed`, { channel: 'gcs' });
      try {
        deadline.throwIfExpired();
        return await withDeadline(request(), deadline);
      } catch (error) {
        if (FmiError.is(error)) throw this.#unreachable(error, lastTransient, op, key, deadline);
        if (!isTransient(error)) throw this.#classify(error, op, key);
        lastTransient = error;
        this.#counts.retries++;
        try {
          await sleep(delay / 2 + Math.random() * (delay / 2), deadline);
        } catch (timeout) {
          throw this.#unreachable(timeout, lastTransient, op, key, deadline);
        }
        delay = Math.min(RETRY_MAX_MS, delay * 2);
      }
    }
  }

  #unreachable(error: unknown, lastTransient: unknown, op: string, key: string, deadline: Deadline): unknown {
    if (lastTransient === undefined || !FmiError.isKind(error, 'timeout')) return error;
    return new FmiError(
      'channel',
      `[gcs] ${op} "${key}": Cloud Storage kept failing until the deadline (${deadline.timeoutMs} ms): ${errorText(lastTransient)} — check the service status and quotas, or raise timeoutMs`,
      { channel: 'gcs', cause: lastTransient, retryable: true },
    );
  }

  /**
   * Maps a final SDK error. A 404 of a get and a 412 of a put are answers, not failures: they pass
   * through raw for the caller (absent object, create-only conflict). Elsewhere 404 means the bucket
   * is gone.
   */
  #classify(error: unknown, op: string, key: string): unknown {
    const status = httpStatus(error);
    if ((status === 404 && op === 'get') || (status === 412 && op === 'put')) return error;
    const where = `gs://${this.#settings.bucket}`;
    if (status === 401 || status === 403) {
      return new FmiError(
        'auth',
        `[gcs] ${op} "${key}": access to ${where} was refused (${status}: ${errorText(error)}) — grant the function's service account roles/storage.objectAdmin on the bucket`,
        {
          channel: 'gcs',
          cause: error,
        },
      );
    }
    if (status === 404 && op !== 'get') {
      return new FmiError(
        'config',
        `[gcs] ${this.#settings.bucketField}: bucket "${this.#settings.bucket}" not found — create it (gcloud storage buckets create gs://${this.#settings.bucket}) or set ${this.#settings.bucketField}`,
        {
          field: this.#settings.bucketField,
          channel: 'gcs',
          cause: error,
        },
      );
    }
    return new FmiError('channel', `[gcs] ${op} "${key}" failed${status !== undefined ? ` (${status})` : ''}: ${errorText(error)}`, {
      channel: 'gcs',
      cause: error,
      retryable: false,
    });
  }

  #openError(error: unknown): unknown {
    if (FmiError.isKind(error, 'channel') || FmiError.isKind(error, 'timeout')) {
      const where = this.#settings.endpoint ?? 'https://storage.googleapis.com';
      return new FmiError(
        'config',
        `[gcs] ${this.#settings.bucketField}: cannot reach Cloud Storage at ${where} for bucket "${this.#settings.bucket}": ${errorText(FmiError.is(error) && error.cause !== undefined ? error.cause : error)} — check the endpoint, STORAGE_EMULATOR_HOST and network`,
        {
          field: this.#settings.bucketField,
          channel: 'gcs',
          cause: error,
          retryable: true,
        },
      );
    }
    return error;
  }
}

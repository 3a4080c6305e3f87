import type { S3Client } from '@aws-sdk/client-s3';
import {
  type ChannelCapabilities,
  type ChannelModel,
  type ChannelOpenContext,
  Deadline,
  FmiError,
  type ObjectChannel,
  pollUntil,
  sleep,
  type WaitOptions,
} from '@fmi/core';
import { S3_MODEL_DEFAULTS } from '../model-defaults.js';
import { httpStatus, isAuthError, sdkError, sdkErrorName } from '../sdk-errors.js';
import { type S3Sdk, s3Client, s3Sdk } from './s3-client.js';
import { type ResolvedS3Settings, S3_MAX_OBJECT_BYTES, S3_MAX_PARTS } from './s3-settings.js';

const INCOMPLETE = Symbol('incomplete');
/** S3's limit of keys per DeleteObjects request. */
const DELETE_BATCH = 1000;
/** Requests one rank keeps in flight for the parts of one upload or the batches of one delete. */
const PARALLEL = 4;
/** Requests in flight for one-by-one deletes (the fallback path). */
const PARALLEL_SINGLE_DELETES = 8;
/**
 * User metadata holding the object's length. S3 itself is atomic (a GET sees the whole object or
 * none), but s3rver writes the file before its content is flushed and can answer a GET with a
 * truncated body (and made-up metadata without this key), even right after the PUT returned. A body
 * whose length differs from this one, or an object without it, is treated as
 * "not there yet" and read again; on S3 the check never fires and costs nothing.
 */
const LENGTH_META = 'fmi-len';
/** Re-reads of an incomplete object before a non-waiting get gives up with `protocol`. */
const INCOMPLETE_RETRIES = 20;
/** Bound of the best-effort AbortMultipartUpload after a failed upload. */
const ABORT_UPLOAD_MS = 5_000;

export interface S3ChannelOptions extends Omit<ResolvedS3Settings, 'model'> {
  readonly model?: Partial<ChannelModel> | undefined;
  /** Sockets of the shared client; default 128. */
  readonly maxSockets?: number;
}

/** Request counters, also the figures `stats()` returns. */
interface S3Counts {
  puts: number;
  multipartUploads: number;
  parts: number;
  gets: number;
  /** Gets that found nothing (each a billed GET answered 404). */
  misses: number;
  /** Sleeps between polls of a waiting get. */
  polls: number;
  lists: number;
  deleteRequests: number;
  /** Keys deleted one by one after a DeleteObjects the server refused (see `delete`). */
  deleteFallbacks: number;
  heads: number;
  /** Reads that returned fewer bytes than the object's length (non-atomic S3-compatible servers). */
  incompleteReads: number;
  bytesPut: number;
  bytesGot: number;
}

/**
 * The S3 object channel: every object is one S3 object under `${prefix}${job}/`, waits poll with
 * backoff (S3 has no notifications a function could receive in time), listing never leaves the
 * job's prefix, and every request is counted for the cost model.
 *
 * S3 is strongly read-after-write consistent (since December 2020), so a get after another rank's
 * completed put always sees the object, and a list sees it too.
 */
export class S3Channel implements ObjectChannel {
  readonly name = 's3';
  readonly kind = 'object' as const;
  readonly capabilities: ChannelCapabilities = {
    maxPayloadBytes: S3_MAX_OBJECT_BYTES,
    // S3 has no atomic read-modify-write (conditional writes exist on AWS but not on S3-compatible
    // servers such as s3rver, which ignores If-None-Match): core uses marker objects + list instead.
    atomicCounter: false,
    nativeWait: false,
    // Expiry is a lifecycle rule on the whole bucket (by prefix, in days), not per object; the
    // README gives the rule to install. The channel itself sets nothing per object.
    ttl: false,
  };
  readonly model: ChannelModel;

  readonly #settings: S3ChannelOptions;
  #client: S3Client | undefined;
  #sdk: S3Sdk | undefined;
  #jobPrefix = '';
  #closed = false;
  readonly #counts: S3Counts = {
    puts: 0,
    multipartUploads: 0,
    parts: 0,
    gets: 0,
    misses: 0,
    polls: 0,
    lists: 0,
    deleteRequests: 0,
    deleteFallbacks: 0,
    heads: 0,
    incompleteReads: 0,
    bytesPut: 0,
    bytesGot: 0,
  };

  constructor(settings: S3ChannelOptions) {
    this.#settings = settings;
    this.model = { ...S3_MODEL_DEFAULTS, ...settings.model };
  }

  /** Where this rank's objects live: `s3://bucket/prefix/job/`. */
  get location(): string {
    return `s3://${this.#settings.bucket}/${this.#jobPrefix || `${this.#settings.prefix}<job>/`}`;
  }

  /** Loads the SDK, then checks with HeadBucket that the bucket exists and the credentials work. */
  async open(ctx: ChannelOpenContext): Promise<void> {
    if (this.#closed) throw new FmiError('closed', '[s3] open() after close()', { channel: 's3' });
    if (this.#client) throw new FmiError('invalid-argument', '[s3] open() called twice', { channel: 's3' });
    this.#jobPrefix = `${this.#settings.prefix}${ctx.job}/`;
    const sdk = await s3Sdk();
    const client = await s3Client({ ...this.#settings, maxSockets: this.#settings.maxSockets ?? 128 });
    const { bucket, bucketField } = this.#settings;
    try {
      this.#counts.heads++;
      await client.send(new sdk.HeadBucketCommand({ Bucket: bucket }), { abortSignal: ctx.deadline.signal });
    } catch (error) {
      const status = httpStatus(error);
      const name = sdkErrorName(error);
      if (status === 404 || name === 'NotFound' || name === 'NoSuchBucket') {
        throw new FmiError('config', `[s3] bucket "${bucket}" not found — create it or set channels.s3.bucket`, {
          field: bucketField,
          channel: 's3',
          cause: error,
        });
      }
      if (status === 403 && !isAuthError(error)) {
        throw new FmiError(
          'auth',
          `[s3] access to bucket "${bucket}" is denied (HTTP 403) — it may belong to another account, or the credentials lack s3:ListBucket on it`,
          {
            channel: 's3',
            cause: error,
          },
        );
      }
      if (!FmiError.is(error) && status === undefined && !isAuthError(error) && !ctx.deadline.expired) {
        const where = this.#settings.endpoint ? `endpoint ${this.#settings.endpoint}` : `S3 in ${this.#settings.region}`;
        throw new FmiError('config', `[s3] cannot reach ${where}: ${(error as Error).message} — check channels.s3.endpoint / FMI_S3_ENDPOINT and the network`, {
          field: 'channels.s3.endpoint',
          channel: 's3',
          cause: error,
        });
      }
      throw sdkError('s3', `HeadBucket "${bucket}"`, error, ctx.deadline);
    }
    this.#sdk = sdk;
    this.#client = client;
    ctx.logger.debug('[fmi] [s3] opened', { bucket, prefix: this.#jobPrefix, endpoint: this.#settings.endpoint, rank: ctx.rank });
  }

  async put(key: string, data: Uint8Array, options: WaitOptions): Promise<void> {
    const { client, sdk } = this.#ready();
    if (data.byteLength > S3_MAX_OBJECT_BYTES) {
      throw new FmiError(
        'invalid-argument',
        `[s3] put "${key}": ${data.byteLength} bytes is above the channel's limit of ${S3_MAX_OBJECT_BYTES} bytes per object`,
        {
          field: 'data',
          channel: 's3',
        },
      );
    }
    const Key = this.#key(key);
    const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (body.byteLength >= this.#settings.multipartThresholdBytes) {
      await this.#multipartPut(Key, body, options.deadline);
    } else {
      try {
        this.#counts.puts++;
        await client.send(
          new sdk.PutObjectCommand({
            Bucket: this.#settings.bucket,
            Key,
            Body: body,
            ContentLength: body.byteLength,
            Metadata: { [LENGTH_META]: String(body.byteLength) },
          }),
          {
            abortSignal: options.deadline.signal,
          },
        );
      } catch (error) {
        throw sdkError('s3', `put "${key}"`, error, options.deadline);
      }
    }
    this.#counts.bytesPut += body.byteLength;
  }

  /**
   * Multipart upload: parts go up `PARALLEL` at a time, which is where multipart helps — one S3
   * connection carries roughly 50-100 MB/s, so a large object uploads several times faster in
   * parallel parts. Below the threshold one PUT is cheaper (3 requests at least for multipart).
   * A failed upload is aborted so its parts are not billed as storage.
   */
  async #multipartPut(Key: string, body: Buffer, deadline: Deadline): Promise<void> {
    const { client, sdk } = this.#ready();
    const Bucket = this.#settings.bucket;
    let partSize = this.#settings.partSizeBytes;
    // Stay within S3's 10,000 parts by growing the part size for huge objects.
    if (Math.ceil(body.byteLength / partSize) > S3_MAX_PARTS) partSize = Math.ceil(body.byteLength / S3_MAX_PARTS);
    const count = Math.ceil(body.byteLength / partSize);
    let uploadId: string | undefined;
    try {
      this.#counts.puts++;
      const created = await client.send(new sdk.CreateMultipartUploadCommand({ Bucket, Key, Metadata: { [LENGTH_META]: String(body.byteLength) } }), {
        abortSignal: deadline.signal,
      });
      uploadId = created.UploadId;
      if (!uploadId) throw new FmiError('protocol', `[s3] CreateMultipartUpload for "${Key}" returned no UploadId`, { channel: 's3' });
      const etags: string[] = new Array(count);
      let next = 0;
      const worker = async () => {
        while (next < count) {
          const i = next++;
          const part = body.subarray(i * partSize, Math.min(body.byteLength, (i + 1) * partSize));
          this.#counts.parts++;
          const out = await client.send(
            new sdk.UploadPartCommand({ Bucket, Key, UploadId: uploadId, PartNumber: i + 1, Body: part, ContentLength: part.byteLength }),
            { abortSignal: deadline.signal },
          );
          if (!out.ETag) throw new FmiError('protocol', `[s3] UploadPart ${i + 1} of "${Key}" returned no ETag`, { channel: 's3' });
          etags[i] = out.ETag;
        }
      };
      await Promise.all(Array.from({ length: Math.min(PARALLEL, count) }, worker));
      this.#counts.puts++;
      await client.send(
        new sdk.CompleteMultipartUploadCommand({
          Bucket,
          Key,
          UploadId: uploadId,
          MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
        }),
        { abortSignal: deadline.signal },
      );
      this.#counts.multipartUploads++;
    } catch (error) {
      if (uploadId) {
        // The operation's own deadline may be what failed it: the abort gets its own bound.
        const abort = new Deadline(ABORT_UPLOAD_MS, '[s3] abort multipart upload');
        await client
          .send(new sdk.AbortMultipartUploadCommand({ Bucket, Key, UploadId: uploadId }), { abortSignal: abort.signal })
          .catch(() => {})
          .finally(() => abort.dispose());
      }
      throw sdkError('s3', `multipart put "${Key}"`, error, deadline);
    }
  }

  async get(key: string, options: WaitOptions & { wait: boolean }): Promise<Uint8Array | undefined> {
    this.#ready();
    const Key = this.#key(key);
    if (!options.wait) {
      for (let attempt = 0; ; attempt++) {
        const got = await this.#getOnce(key, Key, options.deadline);
        if (got !== INCOMPLETE) return got;
        if (attempt >= INCOMPLETE_RETRIES) {
          throw new FmiError(
            'protocol',
            `[s3] get "${key}": the server keeps returning fewer bytes than the object's length — is the S3-compatible server atomic?`,
            { channel: 's3' },
          );
        }
        await sleep(5 * (attempt + 1), options.deadline);
      }
    }
    // S3 cannot notify: poll with a short first delay and exponential backoff with jitter,
    // bounded by the deadline's clock. Every attempt is one billed GET (counted in stats).
    return pollUntil(
      async () => {
        const got = await this.#getOnce(key, Key, options.deadline);
        return got === INCOMPLETE ? undefined : got;
      },
      options.deadline,
      {
        firstDelayMs: this.#settings.pollFirstDelayMs,
        maxDelayMs: this.#settings.pollMaxDelayMs,
        onPoll: () => {
          this.#counts.polls++;
        },
      },
    );
  }

  async #getOnce(key: string, Key: string, deadline: Deadline): Promise<Uint8Array | undefined | typeof INCOMPLETE> {
    const { client, sdk } = this.#ready();
    try {
      this.#counts.gets++;
      const out = await client.send(new sdk.GetObjectCommand({ Bucket: this.#settings.bucket, Key }), { abortSignal: deadline.signal });
      if (!out.Body) return new Uint8Array(0);
      // A fresh buffer the caller owns: core may write into it.
      const bytes = await out.Body.transformToByteArray();
      const expected = out.Metadata?.[LENGTH_META];
      // Missing metadata counts as incomplete too: s3rver serves a file whose metadata is not yet
      // written with metadata made up from the partial file. Every object FMI writes carries it.
      if (expected === undefined || Number(expected) !== bytes.byteLength) {
        this.#counts.incompleteReads++;
        return INCOMPLETE;
      }
      this.#counts.bytesGot += bytes.byteLength;
      return bytes;
    } catch (error) {
      if (httpStatus(error) === 404 || sdkErrorName(error) === 'NoSuchKey') {
        this.#counts.misses++;
        return undefined;
      }
      throw sdkError('s3', `get "${key}"`, error, deadline);
    }
  }

  /**
   * Deletes with DeleteObjects in batches of up to 1,000 keys (one request each, several in
   * parallel); a single key uses DeleteObject. Deleting an absent key succeeds on S3.
   *
   * Fallback: s3rver (the local stand-in) has been seen answering 500 to a multi-object delete
   * that empties a key prefix (it removes the emptied directories while deleting), and some
   * S3-compatible servers answer 501 NotImplemented to DeleteObjects altogether. On a 5xx or
   * NotImplemented answer, and for keys a DeleteObjects reports as failed, the channel deletes
   * those keys one by one (counted as `deleteFallbacks`). Deletes are idempotent, so resending is safe.
   */
  async delete(keys: readonly string[], options: WaitOptions): Promise<void> {
    this.#ready();
    const unique = [...new Set(keys)].map((k) => this.#key(k));
    if (unique.length === 0) return;
    if (unique.length === 1) {
      await this.#deleteOne(unique[0], options.deadline);
      return;
    }
    const batches: string[][] = [];
    for (let i = 0; i < unique.length; i += DELETE_BATCH) batches.push(unique.slice(i, i + DELETE_BATCH));
    await runLimited(batches, PARALLEL, (batch) => this.#deleteBatch(batch, options.deadline));
  }

  async #deleteBatch(batch: string[], deadline: Deadline): Promise<void> {
    const { client, sdk } = this.#ready();
    let failed: string[];
    try {
      this.#counts.deleteRequests++;
      const out = await client.send(
        new sdk.DeleteObjectsCommand({ Bucket: this.#settings.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
        { abortSignal: deadline.signal },
      );
      failed = (out.Errors ?? []).map((e) => e.Key).filter((k): k is string => typeof k === 'string');
    } catch (error) {
      const status = httpStatus(error);
      const serverRefused = (status !== undefined && status >= 500) || sdkErrorName(error) === 'NotImplemented';
      if (!serverRefused || deadline.expired) throw sdkError('s3', `delete of ${batch.length} objects`, error, deadline);
      failed = batch;
    }
    if (failed.length === 0) return;
    this.#counts.deleteFallbacks += failed.length;
    await runLimited(failed, PARALLEL_SINGLE_DELETES, (Key) => this.#deleteOne(Key, deadline));
  }

  async #deleteOne(Key: string, deadline: Deadline): Promise<void> {
    const { client, sdk } = this.#ready();
    try {
      this.#counts.deleteRequests++;
      await client.send(new sdk.DeleteObjectCommand({ Bucket: this.#settings.bucket, Key }), { abortSignal: deadline.signal });
    } catch (error) {
      if (httpStatus(error) === 404) return;
      throw sdkError('s3', `delete "${Key}"`, error, deadline);
    }
  }

  /** ListObjectsV2 under `${prefix}${job}/${prefix}` only, following continuation tokens. */
  async list(prefix: string, options: WaitOptions): Promise<string[]> {
    const { client, sdk } = this.#ready();
    const full = this.#key(prefix);
    const strip = this.#jobPrefix.length;
    const keys: string[] = [];
    let token: string | undefined;
    try {
      do {
        this.#counts.lists++;
        const out = await client.send(
          new sdk.ListObjectsV2Command({ Bucket: this.#settings.bucket, Prefix: full, ...(token ? { ContinuationToken: token } : {}) }),
          { abortSignal: options.deadline.signal },
        );
        for (const o of out.Contents ?? []) if (o.Key?.startsWith(full)) keys.push(o.Key.slice(strip));
        token = out.IsTruncated ? out.NextContinuationToken : undefined;
      } while (token);
    } catch (error) {
      throw sdkError('s3', `list "${prefix}"`, error, options.deadline);
    }
    return keys.sort();
  }

  /** Releases nothing shared: the client stays cached for the next invocation of a warm function. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#client = undefined;
  }

  stats(): Record<string, unknown> {
    const c = this.#counts;
    return {
      ...c,
      // Billed requests by S3's price classes: PUT/COPY/POST/LIST and GET (DELETE is free).
      requests: { put: c.puts + c.parts, get: c.gets, list: c.lists, delete: c.deleteRequests, head: c.heads },
    };
  }

  #key(key: string): string {
    return `${this.#jobPrefix}${key}`;
  }

  #ready(): { client: S3Client; sdk: S3Sdk } {
    if (this.#closed) throw new FmiError('closed', '[s3] the channel is closed', { channel: 's3' });
    if (!this.#client || !this.#sdk) throw new FmiError('closed', '[s3] the channel is not open — call open() first', { channel: 's3' });
    return { client: this.#client, sdk: this.#sdk };
  }
}

/** Runs `fn` over `items` with at most `limit` in flight; rejects with the first failure. */
export async function runLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

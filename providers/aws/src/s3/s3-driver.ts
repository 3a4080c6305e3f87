import type { S3Client } from '@aws-sdk/client-s3';
import { Deadline, FmiError, type StoreDescription, type StoreDriver } from '@fmi/core';
import { runLimited } from '../run-limited.js';
import { httpStatus, isAuthError, sdkErrorName } from '../sdk-errors.js';
import { type S3Sdk, s3Client, s3Sdk } from './s3-client.js';
import { classifyS3Error, describeS3Error, IncompleteS3ObjectError } from './s3-errors.js';
import { type ResolvedS3Settings, S3_MAX_PARTS } from './s3-settings.js';

/** S3's limit of keys per DeleteObjects request. */
const DELETE_BATCH = 1000;
/** Parts of one multipart upload in flight at once. */
const PARALLEL_PARTS = 4;
/** One-by-one deletes in flight (the fallback path of a refused DeleteObjects). */
const PARALLEL_SINGLE_DELETES = 8;
/** User metadata holding the object's length (see `IncompleteS3ObjectError`). */
const LENGTH_META = 'fmi-len';
/** Bound of the best-effort AbortMultipartUpload after a failed upload. */
const ABORT_UPLOAD_MS = 5_000;

/**
 * S3 requests by what they are, for `stats()` and the cost model: the driver makes them, so it
 * counts them (a multipart put and a delete fallback are several requests behind one call).
 */
export interface S3RequestCounts {
  /** PutObject, CreateMultipartUpload and CompleteMultipartUpload requests. */
  puts: number;
  multipartUploads: number;
  /** UploadPart requests. */
  parts: number;
  /** GetObject requests, found or not. */
  gets: number;
  /** GetObject requests answered 404 (each one billed). */
  misses: number;
  /** Reads whose body length differed from `fmi-len` (non-atomic S3-compatible servers); read again. */
  incompleteReads: number;
  /** ListObjectsV2 requests (pages). */
  lists: number;
  /** DeleteObjects and DeleteObject requests. */
  deleteRequests: number;
  /** Keys deleted one by one after a DeleteObjects the server refused or partly failed. */
  deleteFallbacks: number;
  /** HeadBucket requests (the probe at open). */
  heads: number;
}

export function newS3RequestCounts(): S3RequestCounts {
  return { puts: 0, multipartUploads: 0, parts: 0, gets: 0, misses: 0, incompleteReads: 0, lists: 0, deleteRequests: 0, deleteFallbacks: 0, heads: 0 };
}

export interface S3DriverSettings extends Omit<ResolvedS3Settings, 'model' | 'pollFirstDelayMs' | 'pollMaxDelayMs' | 'prefix'> {
  readonly maxSockets: number;
}

/**
 * S3 as a store driver: one request per call, except that a put at or above
 * `multipartThresholdBytes` is a multipart upload (parts in parallel: one S3 connection carries
 * roughly 50-100 MB/s) and a DeleteObjects the server refuses falls back to one DeleteObject per key.
 * Every object carries its length in `fmi-len` metadata; a body of another length is an incomplete
 * read (transient). Writes are plain, never conditional (see `S3Channel`).
 */
export async function s3Driver(settings: S3DriverSettings, counts: S3RequestCounts): Promise<StoreDriver> {
  const [sdk, client] = await Promise.all([s3Sdk(), s3Client(settings)]);
  const Bucket = settings.bucket;
  const one = (signal: AbortSignal) => ({ abortSignal: signal });

  const deleteOne = async (Key: string, signal: AbortSignal) => {
    counts.deleteRequests++;
    try {
      await client.send(new sdk.DeleteObjectCommand({ Bucket, Key }), one(signal));
    } catch (error) {
      // S3 answers 204 for an absent key; some compatible servers answer 404.
      if (httpStatus(error) !== 404) throw error;
    }
  };

  return {
    endpoint: settings.endpoint ?? `https://s3.${settings.region}.amazonaws.com`,
    deleteBatchSize: DELETE_BATCH,

    /**
     * HeadBucket. A missing bucket and a 403 without an auth error code (another account's bucket)
     * are answered here with the messages users know from this channel; everything else is read by
     * `classify` (a refused connection is retried briefly, then reported as an unreachable endpoint).
     */
    async probe(_prefix, { signal }) {
      counts.heads++;
      try {
        return await client.send(new sdk.HeadBucketCommand({ Bucket }), one(signal));
      } catch (error) {
        const status = httpStatus(error);
        const name = sdkErrorName(error);
        if (status === 404 || name === 'NotFound' || name === 'NoSuchBucket') {
          throw new FmiError('config', `[s3] bucket "${Bucket}" not found — create it or set channels.s3.bucket`, {
            field: settings.bucketField,
            channel: 's3',
            cause: error,
          });
        }
        if (status === 403 && !isAuthError(error)) {
          throw new FmiError(
            'auth',
            `[s3] access to bucket "${Bucket}" is denied (HTTP 403) — it may belong to another account, or the credentials lack s3:ListBucket on it`,
            { channel: 's3', cause: error },
          );
        }
        throw error;
      }
    },

    async put(Key, body, { signal }) {
      const Metadata = { [LENGTH_META]: String(body.byteLength) };
      if (body.byteLength >= settings.multipartThresholdBytes) {
        await multipartPut(client, sdk, settings, counts, Key, body, Metadata, signal);
        return;
      }
      counts.puts++;
      await client.send(new sdk.PutObjectCommand({ Bucket, Key, Body: body, ContentLength: body.byteLength, Metadata }), one(signal));
    },

    async get(Key, { signal }) {
      counts.gets++;
      let bytes: Uint8Array;
      let expected: string | undefined;
      try {
        const out = await client.send(new sdk.GetObjectCommand({ Bucket, Key }), one(signal));
        // A fresh buffer the caller owns: core may write into it.
        bytes = out.Body ? await out.Body.transformToByteArray() : new Uint8Array(0);
        expected = out.Metadata?.[LENGTH_META];
      } catch (error) {
        if (classifyS3Error(error) === 'absent') counts.misses++;
        throw error;
      }
      // Missing metadata counts as incomplete too: s3rver serves a file whose metadata is not yet
      // written with metadata made up from the partial file. Every object FMI writes carries it.
      if (expected === undefined || Number(expected) !== bytes.byteLength) {
        counts.incompleteReads++;
        throw new IncompleteS3ObjectError(Key, bytes.byteLength, expected);
      }
      return bytes;
    },

    async list(Prefix, token, { signal }) {
      counts.lists++;
      const out = await client.send(new sdk.ListObjectsV2Command({ Bucket, Prefix, ...(token ? { ContinuationToken: token } : {}) }), one(signal));
      const names = (out.Contents ?? []).map((o) => o.Key).filter((k): k is string => k?.startsWith(Prefix) === true);
      return { names, next: out.IsTruncated ? out.NextContinuationToken : undefined };
    },

    /**
     * DeleteObjects for a batch, DeleteObject for a single key. Fallback: s3rver answers 500 to a
     * multi-object delete that empties a key prefix (it removes the emptied directories while
     * deleting), and some S3-compatible servers answer 501 NotImplemented to DeleteObjects
     * altogether. On a 5xx or NotImplemented answer, and for keys a DeleteObjects reports as
     * failed, the keys are deleted one by one (`deleteFallbacks`). Deletes are idempotent, so a
     * resend by the channel is safe.
     */
    async delete(names, { signal }) {
      if (names.length === 1) {
        await deleteOne(names[0]!, signal);
        return;
      }
      let failed: string[];
      try {
        counts.deleteRequests++;
        const out = await client.send(new sdk.DeleteObjectsCommand({ Bucket, Delete: { Objects: names.map((Key) => ({ Key })), Quiet: true } }), one(signal));
        failed = (out.Errors ?? []).map((e) => e.Key).filter((k): k is string => typeof k === 'string');
      } catch (error) {
        const status = httpStatus(error);
        const refused = (status !== undefined && status >= 500) || sdkErrorName(error) === 'NotImplemented';
        if (!refused || signal.aborted) throw error;
        failed = [...names];
      }
      if (failed.length === 0) return;
      counts.deleteFallbacks += failed.length;
      await runLimited(failed, PARALLEL_SINGLE_DELETES, (Key) => deleteOne(Key, signal));
    },

    classify: classifyS3Error,
    describe: describeS3Error,
  };
}

/**
 * Multipart upload: parts go up `PARALLEL_PARTS` at a time, which is where multipart helps. Below
 * the threshold one PUT is cheaper (multipart is 3 requests at least). A failed upload is aborted
 * so its parts are not billed as storage; the channel then retries the whole put when the failure
 * was transient.
 */
async function multipartPut(
  client: S3Client,
  sdk: S3Sdk,
  settings: S3DriverSettings,
  counts: S3RequestCounts,
  Key: string,
  body: Buffer,
  Metadata: Record<string, string>,
  signal: AbortSignal,
): Promise<void> {
  const Bucket = settings.bucket;
  let partSize = settings.partSizeBytes;
  // Stay within S3's 10,000 parts by growing the part size for huge objects.
  if (Math.ceil(body.byteLength / partSize) > S3_MAX_PARTS) partSize = Math.ceil(body.byteLength / S3_MAX_PARTS);
  const count = Math.ceil(body.byteLength / partSize);
  let uploadId: string | undefined;
  try {
    counts.puts++;
    const created = await client.send(new sdk.CreateMultipartUploadCommand({ Bucket, Key, Metadata }), { abortSignal: signal });
    uploadId = created.UploadId;
    if (!uploadId) throw new FmiError('protocol', `[s3] CreateMultipartUpload for "${Key}" returned no UploadId`, { channel: 's3' });
    const etags: string[] = new Array(count);
    await runLimited(
      Array.from({ length: count }, (_, i) => i),
      PARALLEL_PARTS,
      async (i) => {
        const part = body.subarray(i * partSize, Math.min(body.byteLength, (i + 1) * partSize));
        counts.parts++;
        const out = await client.send(
          new sdk.UploadPartCommand({ Bucket, Key, UploadId: uploadId, PartNumber: i + 1, Body: part, ContentLength: part.byteLength }),
          { abortSignal: signal },
        );
        if (!out.ETag) throw new FmiError('protocol', `[s3] UploadPart ${i + 1} of "${Key}" returned no ETag`, { channel: 's3' });
        etags[i] = out.ETag;
      },
    );
    counts.puts++;
    await client.send(
      new sdk.CompleteMultipartUploadCommand({
        Bucket,
        Key,
        UploadId: uploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }),
      { abortSignal: signal },
    );
    counts.multipartUploads++;
  } catch (error) {
    if (uploadId) {
      // The operation's own deadline may be what failed it: the abort gets its own bound.
      const abort = new Deadline(ABORT_UPLOAD_MS, '[s3] abort multipart upload');
      await client
        .send(new sdk.AbortMultipartUploadCommand({ Bucket, Key, UploadId: uploadId }), { abortSignal: abort.signal })
        .catch(() => {})
        .finally(() => abort.dispose());
    }
    throw error;
  }
}

/** What the channel's messages say about S3, and what they advise. */
export function s3Store(settings: Pick<ResolvedS3Settings, 'bucket' | 'bucketField'>): StoreDescription {
  const { bucket, bucketField } = settings;
  return {
    service: 'S3',
    noun: 'bucket',
    name: bucket,
    field: bucketField,
    createHint: `aws s3 mb s3://${bucket}`,
    locationPrefix: `s3://${bucket}/`,
    authAdvice:
      "check the credentials (standard AWS chain: AWS_ACCESS_KEY_ID, AWS_PROFILE, the function's role) and that they allow s3:GetObject, s3:PutObject, s3:ListBucket and s3:DeleteObject on the bucket",
    outageAdvice: 'check the S3 service health (or the S3-compatible server) and request rates under the prefix',
    endpointField: 'channels.s3.endpoint',
    unreachableAdvice: 'check channels.s3.endpoint / FMI_S3_ENDPOINT and the network',
  };
}

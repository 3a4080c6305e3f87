import type { BlockBlobClient, ContainerClient } from '@azure/storage-blob';
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
import { AZURE_BLOB_MODEL_DEFAULTS } from '../model.js';
import { containerClient } from './blob-client.js';
import { errorText, httpStatus, isTransient, serviceCode } from './blob-errors.js';
import type { ResolvedAzureBlobSettings } from './blob-settings.js';

/**
 * Largest object the channel puts in one request. One Put Blob takes up to 5,000 MiB, but the channel
 * holds an object in memory and uploads it in one request (so the create-only condition covers the
 * whole object): 64 MiB keeps a function's memory spike and one request's duration bounded, and
 * core splits larger payloads.
 */
export const AZURE_BLOB_MAX_OBJECT_BYTES = 64 * 1024 * 1024;

const DELETE_CONCURRENCY = 16;
/** Names per List Blobs page (the service's maximum). */
const LIST_PAGE = 5000;
const FIRST_POLL_MS = 5;
const RETRY_FIRST_MS = 50;
const RETRY_MAX_MS = 2_000;
const OPEN_RETRY_MS = 10_000;

export interface AzureBlobChannelOptions extends ResolvedAzureBlobSettings {
  readonly model?: Partial<ChannelModel>;
}

/**
 * The Azure Blob Storage object channel. Blobs are named `${prefix}${job}/${key}` in one container;
 * a waiting `get` polls with exponential backoff and jitter, bounded by the deadline (Event Grid
 * notifications take seconds and need infrastructure).
 *
 * Uploads are create-only (`If-None-Match: *`): core writes every key once, so an existing blob is
 * either our own earlier attempt (equal content: the put succeeds) or a collision / a stale blob of
 * an earlier job with the same id (the put fails with `protocol`). Azurite enforces the condition
 * like the service (409 BlobAlreadyExists).
 *
 * Every request carries the deadline's abort signal and is retried on transient failures (408,
 * 429, 5xx, resets) with backoff until the deadline; the SDK's own retries are off.
 */
export class AzureBlobChannel implements ObjectChannel {
  readonly name = 'azure-blob';
  readonly kind = 'object' as const;
  readonly capabilities: ChannelCapabilities = {
    maxPayloadBytes: AZURE_BLOB_MAX_OBJECT_BYTES,
    // An ETag compare-and-swap counter costs O(N^2) requests when N ranks contend; core's marker
    // barrier (N puts + lists) is cheaper at ~40 ms a request.
    atomicCounter: false,
    nativeWait: false,
    // Lifecycle management policies delete by age (days) and prefix, not per blob: see the README.
    ttl: false,
  };
  readonly model: ChannelModel;

  readonly #settings: ResolvedAzureBlobSettings;
  #container: ContainerClient | undefined;
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

  constructor(options: AzureBlobChannelOptions) {
    const { model, ...settings } = options;
    this.#settings = settings;
    this.model = {
      ...AZURE_BLOB_MODEL_DEFAULTS,
      pollDelayMs: settings.maxPollIntervalMs / 2,
      ...model,
      pricePerRequest: { ...AZURE_BLOB_MODEL_DEFAULTS.pricePerRequest, ...model?.pricePerRequest },
    };
  }

  /** Loads the SDK and checks the container (Get Container Properties). Missing → `config`; refused → `auth`. */
  async open(ctx: ChannelOpenContext): Promise<void> {
    if (this.#closed) throw new FmiError('closed', '[azure-blob] open() after close()', { channel: 'azure-blob' });
    if (this.#container) throw new FmiError('invalid-argument', '[azure-blob] open() called twice', { channel: 'azure-blob' });
    const container = await withDeadline(
      containerClient(this.#settings.connectionString, this.#settings.container, this.#settings.connectionStringField),
      ctx.deadline,
    );
    this.#jobPrefix = `${this.#settings.prefix}${ctx.job}/`;
    // At open a refused connection is far more often a wrong endpoint than an outage: stop retrying soon.
    const deadline = new Deadline(Math.min(ctx.deadline.remaining(), OPEN_RETRY_MS), '[azure-blob] open', ctx.deadline.signal);
    try {
      await this.#run('open', '', deadline, (abortSignal) => container.getProperties({ abortSignal }));
    } catch (error) {
      throw this.#openError(error, container.url);
    } finally {
      deadline.dispose();
    }
    this.#container = container;
    this.#opened = true;
    ctx.logger.debug('[fmi] [azure-blob] opened', { container: this.#settings.container, prefix: this.#jobPrefix });
  }

  async put(key: string, data: Uint8Array, options: WaitOptions): Promise<void> {
    if (data.byteLength > AZURE_BLOB_MAX_OBJECT_BYTES) {
      throw new FmiError(
        'invalid-argument',
        `[azure-blob] put "${key}": ${data.byteLength} bytes is above the channel's object limit of ${AZURE_BLOB_MAX_OBJECT_BYTES} bytes — core splits larger payloads`,
        {
          field: 'data',
          channel: 'azure-blob',
        },
      );
    }
    const blob = this.#blob(key);
    // Copy now: the caller may reuse its buffer once put resolves, and a retry resends these bytes.
    const body = Buffer.from(data);
    try {
      await this.#run('put', key, options.deadline, (abortSignal) =>
        blob.upload(body, body.byteLength, {
          abortSignal,
          conditions: { ifNoneMatch: '*' },
          blobHTTPHeaders: { blobContentType: 'application/octet-stream' },
        }),
      );
    } catch (error) {
      if (!isConflict(error)) throw error;
      await this.#resolveConflict(key, blob, body, options.deadline);
    }
    this.#counts.puts++;
    this.#counts.bytesPut += body.byteLength;
  }

  async get(key: string, options: WaitOptions & { wait: boolean }): Promise<Uint8Array | undefined> {
    const blob = this.#blob(key);
    const once = () => this.#download(key, blob, options.deadline);
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
    const blobs = keys.map((key) => [key, this.#blob(key)] as const);
    let next = 0;
    const worker = async () => {
      while (next < blobs.length) {
        const [key, blob] = blobs[next++]!;
        // deleteIfExists: an absent blob is not an error (the contract), which also makes retries safe.
        await this.#run('delete', key, options.deadline, (abortSignal) => blob.deleteIfExists({ abortSignal }));
        this.#counts.deletes++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(DELETE_CONCURRENCY, blobs.length) }, worker));
  }

  /** Names under the job starting with `prefix`, page by page (5,000 per List Blobs request). */
  async list(prefix: string, options: WaitOptions): Promise<string[]> {
    const container = this.#openContainer();
    const strip = this.#jobPrefix.length;
    const names: string[] = [];
    let token: string | undefined;
    do {
      const continuationToken = token;
      const page = await this.#run('list', prefix, options.deadline, async (abortSignal) => {
        const pages = container
          .listBlobsFlat({ prefix: this.#jobPrefix + prefix, abortSignal })
          .byPage({ maxPageSize: LIST_PAGE, ...(continuationToken ? { continuationToken } : {}) });
        return (await pages.next()).value as { segment: { blobItems: Array<{ name: string }> }; continuationToken?: string } | undefined;
      });
      this.#counts.listPages++;
      for (const item of page?.segment.blobItems ?? []) names.push(item.name.slice(strip));
      token = page?.continuationToken || undefined;
    } while (token);
    this.#counts.lists++;
    return names.sort();
  }

  /**
   * Marks the channel closed. The communicator has already deleted the job's blobs; the service
   * client is shared by the process (warm invocations reuse it), so it stays.
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#opened = false;
    this.#container = undefined;
  }

  stats(): ChannelStats {
    return { ...this.#counts, container: this.#settings.container, prefix: this.#jobPrefix };
  }

  #openContainer(): ContainerClient {
    if (!this.#opened || !this.#container) {
      throw new FmiError(this.#closed ? 'closed' : 'invalid-argument', `[azure-blob] the channel is ${this.#closed ? 'closed' : 'not open'}`, {
        channel: 'azure-blob',
      });
    }
    return this.#container;
  }

  #blob(key: string): BlockBlobClient {
    return this.#openContainer().getBlockBlobClient(this.#jobPrefix + key);
  }

  /** One Get Blob of the whole blob; `undefined` when it does not exist (yet). */
  async #download(key: string, blob: BlockBlobClient, deadline: Deadline): Promise<Uint8Array | undefined> {
    try {
      return await this.#run('get', key, deadline, async (abortSignal) => {
        const response = await blob.download(0, undefined, { abortSignal });
        return readAll(response.readableStreamBody, response.contentLength ?? 0);
      });
    } catch (error) {
      if (httpStatus(error) === 404) return undefined;
      throw error;
    }
  }

  async #resolveConflict(key: string, blob: BlockBlobClient, body: Buffer, deadline: Deadline): Promise<void> {
    this.#counts.conflicts++;
    const existing = await this.#download(key, blob, deadline);
    if (existing && Buffer.compare(Buffer.from(existing.buffer, existing.byteOffset, existing.byteLength), body) === 0) return;
    throw new FmiError(
      'protocol',
      `[azure-blob] put "${key}": blob ${this.#settings.container}/${this.#jobPrefix}${key} already exists with other content — two writers used one key, or an earlier job with the same id left blobs behind: use a fresh job id or delete ${this.#settings.container}/${this.#jobPrefix}`,
      { channel: 'azure-blob', retryable: false },
    );
  }

  /**
   * One request within the deadline: the deadline's signal aborts it for real (the SDK honours
   * `abortSignal`); transient failures are retried with capped, jittered backoff by the deadline's
   * clock. A deadline that passes while the service keeps failing becomes `channel` with the cause.
   */
  async #run<T>(op: string, key: string, deadline: Deadline, request: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    let delay = RETRY_FIRST_MS;
    let lastTransient: unknown;
    for (;;) {
      if (this.#closed) throw new FmiError('closed', `[azure-blob] ${op} "${key}": the channel was closed`, { channel: 'azure-blob' });
      try {
        deadline.throwIfExpired();
        return await withDeadline(request(deadline.signal), deadline);
      } catch (error) {
        if (FmiError.is(error)) throw this.#unreachable(error, lastTransient, op, key, deadline);
        if (deadline.signal.aborted) throw this.#unreachable(deadline.signal.reason, lastTransient, op, key, deadline);
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
      `[azure-blob] ${op} "${key}": Blob Storage kept failing until the deadline (${deadline.timeoutMs} ms): ${errorText(lastTransient)} — check the account's status and throttling, or raise timeoutMs`,
      { channel: 'azure-blob', cause: lastTransient, retryable: true },
    );
  }

  /** Final errors. A get's 404 and a put's conflict are answers and pass through raw for the caller. */
  #classify(error: unknown, op: string, key: string): unknown {
    const status = httpStatus(error);
    const code = serviceCode(error);
    if ((status === 404 && op === 'get' && code !== 'ContainerNotFound') || (op === 'put' && isConflict(error))) return error;
    if (status === 401 || status === 403) {
      return new FmiError(
        'auth',
        `[azure-blob] ${op} "${key}": access to container "${this.#settings.container}" was refused (${status} ${code ?? ''}) — check the key or SAS in ${this.#settings.connectionStringField} (a SAS needs read, write, delete and list)`,
        {
          channel: 'azure-blob',
          cause: error,
        },
      );
    }
    if (code === 'ContainerNotFound' || (status === 404 && op !== 'get')) {
      return new FmiError(
        'config',
        `[azure-blob] ${this.#settings.containerField}: container "${this.#settings.container}" not found — create it (az storage container create --name ${this.#settings.container}) or set ${this.#settings.containerField}`,
        {
          field: this.#settings.containerField,
          channel: 'azure-blob',
          cause: error,
        },
      );
    }
    return new FmiError('channel', `[azure-blob] ${op} "${key}" failed${status !== undefined ? ` (${status})` : ''}: ${errorText(error)}`, {
      channel: 'azure-blob',
      cause: error,
      retryable: false,
    });
  }

  #openError(error: unknown, url: string): unknown {
    if (FmiError.isKind(error, 'channel') || FmiError.isKind(error, 'timeout')) {
      const cause = FmiError.is(error) && error.cause !== undefined ? error.cause : error;
      return new FmiError(
        'config',
        `[azure-blob] ${this.#settings.connectionStringField}: cannot reach Blob Storage at ${new URL(url).origin}: ${errorText(cause)} — check the connection string's endpoint and the network`,
        {
          field: this.#settings.connectionStringField,
          channel: 'azure-blob',
          cause: error,
          retryable: true,
        },
      );
    }
    return error;
  }
}

/** 409 BlobAlreadyExists (what Azure and azurite answer to If-None-Match: *) or 412. */
function isConflict(error: unknown): boolean {
  const status = httpStatus(error);
  return status === 412 || (status === 409 && serviceCode(error) === 'BlobAlreadyExists');
}

async function readAll(stream: NodeJS.ReadableStream | undefined, length: number): Promise<Buffer> {
  if (!stream || length === 0) {
    // Drain anything there is, so the socket goes back to the pool.
    if (stream) for await (const _ of stream) void _;
    return Buffer.alloc(0);
  }
  // Not from the shared pool: the caller owns the whole ArrayBuffer (views over `.buffer` see only this blob).
  const out = Buffer.allocUnsafeSlow(length);
  let at = 0;
  for await (const chunk of stream) {
    const piece = chunk as Buffer;
    if (at + piece.byteLength > length)
      throw new FmiError('protocol', `[azure-blob] Get Blob sent more than its Content-Length of ${length} bytes`, { channel: 'azure-blob' });
    piece.copy(out, at);
    at += piece.byteLength;
  }
  if (at !== length) throw new FmiError('protocol', `[azure-blob] Get Blob ended after ${at} of ${length} bytes`, { channel: 'azure-blob', retryable: true });
  return out;
}

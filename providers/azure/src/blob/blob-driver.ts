import { FmiError, type StoreDescription, type StoreDriver } from '@fmi/core';
import { containerClient } from './blob-client.js';
import { classifyBlobError, describeBlobError } from './blob-errors.js';
import type { ResolvedAzureBlobSettings } from './blob-settings.js';

/** Names per List Blobs page (the service's maximum). */
const LIST_PAGE = 5000;

/**
 * Blob Storage as a store driver: one REST request per call, each carrying the deadline's abort
 * signal (the SDK honours it, so a request past its deadline is cancelled for real). Uploads are
 * create-only with `If-None-Match: *`, which azurite enforces like the service (409
 * BlobAlreadyExists); a delete is one Delete Blob per blob (`deleteIfExists`).
 */
export async function blobDriver(settings: ResolvedAzureBlobSettings): Promise<StoreDriver> {
  const container = await containerClient(settings.connectionString, settings.container, settings.connectionStringField);
  return {
    endpoint: new URL(container.url).origin,
    deleteBatchSize: 1,
    probe: (_prefix, { signal }) => container.getProperties({ abortSignal: signal }),
    put: (name, body, { createOnly, signal }) =>
      container.getBlockBlobClient(name).upload(body, body.byteLength, {
        abortSignal: signal,
        ...(createOnly ? { conditions: { ifNoneMatch: '*' } } : {}),
        blobHTTPHeaders: { blobContentType: 'application/octet-stream' },
      }),
    async get(name, { signal }) {
      const response = await container.getBlockBlobClient(name).download(0, undefined, { abortSignal: signal });
      return readAll(response.readableStreamBody, response.contentLength ?? 0);
    },
    async list(prefix, token, { signal }) {
      const pages = container.listBlobsFlat({ prefix, abortSignal: signal }).byPage({ maxPageSize: LIST_PAGE, ...(token ? { continuationToken: token } : {}) });
      const page = (await pages.next()).value as { segment: { blobItems: Array<{ name: string }> }; continuationToken?: string } | undefined;
      return { names: (page?.segment.blobItems ?? []).map((item) => item.name), next: page?.continuationToken };
    },
    // deleteIfExists: an absent blob is not an error (the contract), which also makes retries safe.
    delete: (names, { signal }) => Promise.all(names.map((name) => container.getBlockBlobClient(name).deleteIfExists({ abortSignal: signal }))),
    classify: classifyBlobError,
    describe: describeBlobError,
  };
}

/** What the channel's messages say about Blob Storage, and what they advise. */
export function blobStore(settings: ResolvedAzureBlobSettings): StoreDescription {
  const { container, connectionStringField } = settings;
  return {
    service: 'Blob Storage',
    noun: 'container',
    name: container,
    field: settings.containerField,
    createHint: `az storage container create --name ${container}`,
    locationPrefix: `${container}/`,
    authAdvice: `check the key or SAS in ${connectionStringField} (a SAS needs read, write, delete and list)`,
    outageAdvice: "check the account's status and throttling",
    // The endpoint is part of the connection string.
    endpointField: connectionStringField,
    unreachableAdvice: "check the connection string's endpoint and the network",
  };
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

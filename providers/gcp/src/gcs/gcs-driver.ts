import type { StoreDescription, StoreDriver } from '@fmi/core';
import { classifyGcsError, describeGcsError } from './gcs-errors.js';
import type { ResolvedGcsSettings } from './gcs-settings.js';
import { storageClient } from './storage-client.js';

/** Names per list page (the service's maximum); each page is one class A operation. */
const LIST_PAGE = 1000;

/**
 * Cloud Storage as a store driver: one JSON API request per call. Writes are create-only with
 * `ifGenerationMatch: 0` (the local emulator accepts but ignores the precondition; against it puts
 * simply overwrite). The JSON API has no multi-object delete, so a delete is one request per object.
 * The SDK takes no abort signal: the channel races each request against its deadline instead.
 */
export async function gcsDriver(settings: ResolvedGcsSettings): Promise<StoreDriver> {
  const storage = await storageClient({ projectId: settings.projectId, endpoint: settings.endpoint });
  const bucket = storage.bucket(settings.bucket);
  return {
    endpoint: settings.endpoint ?? 'https://storage.googleapis.com',
    deleteBatchSize: 1,
    probe: (prefix) => bucket.getFiles({ prefix, maxResults: 1, autoPaginate: false }),
    put: (name, body, { createOnly }) =>
      bucket.file(name).save(body, {
        resumable: false,
        contentType: 'application/octet-stream',
        ...(createOnly ? { preconditionOpts: { ifGenerationMatch: 0 } } : {}),
      }),
    get: async (name) => (await bucket.file(name).download())[0],
    async list(prefix, token) {
      const [files, nextQuery] = await bucket.getFiles({ prefix, maxResults: LIST_PAGE, autoPaginate: false, ...(token ? { pageToken: token } : {}) });
      return { names: files.map((f) => f.name), next: (nextQuery as { pageToken?: string } | null | undefined)?.pageToken };
    },
    // Deleting an absent object is not an error (the contract), and makes retries safe.
    delete: (names) => Promise.all(names.map((name) => bucket.file(name).delete({ ignoreNotFound: true }))),
    classify: classifyGcsError,
    describe: describeGcsError,
  };
}

/** What the channel's messages say about Cloud Storage, and what they advise. */
export function gcsStore(settings: ResolvedGcsSettings): StoreDescription {
  const { bucket, bucketField } = settings;
  return {
    service: 'Cloud Storage',
    noun: 'bucket',
    name: bucket,
    field: bucketField,
    createHint: `gcloud storage buckets create gs://${bucket}`,
    locationPrefix: `gs://${bucket}/`,
    authAdvice: "grant the function's service account roles/storage.objectAdmin on the bucket",
    outageAdvice: 'check the service status and quotas',
    // A custom endpoint comes with the bucket's settings (or STORAGE_EMULATOR_HOST); name the bucket's field.
    endpointField: bucketField,
    unreachableAdvice: 'check the endpoint, STORAGE_EMULATOR_HOST and network',
  };
}

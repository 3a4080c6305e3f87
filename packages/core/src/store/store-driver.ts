/**
 * The tiny contract of an object store under `PolledStoreChannel`: five requests and a way to read
 * the SDK's errors. A driver makes exactly one request per call and never retries, waits, counts or
 * namespaces — the channel does all of that, the same way for every store (unstorage's driver idea).
 * Every call receives the operation's abort signal; a driver whose SDK takes one passes it on.
 */

/**
 * What a failed request means, as the driver reads its SDK's error:
 * - `transient`: another attempt may succeed (408, 429, 5xx, a reset or refused connection);
 * - `absent`: the object does not exist — an answer for a get, a missing store for anything else;
 * - `conflict`: a create-only put found an object in place — an answer for a put;
 * - `auth`: credentials refused (401, 403);
 * - `config`: the store itself is missing (e.g. Azure's ContainerNotFound, even on a get);
 * - `failed`: anything else; final.
 */
export type StoreErrorKind = 'transient' | 'absent' | 'conflict' | 'auth' | 'config' | 'failed';

/** One page of a listing: full object names, and the token of the next page when there is one. */
export interface StoreListPage {
  readonly names: readonly string[];
  readonly next?: string | undefined;
}

/** What every driver call gets. */
export interface StoreRequestOptions {
  /** Aborted when the operation's deadline passes. */
  readonly signal: AbortSignal;
}

/**
 * A store bound to one bucket or container. Names are full object names (`${prefix}${job}/${key}`):
 * the channel namespaces keys before they reach the driver.
 */
export interface StoreDriver {
  /** Where requests go, for the message of a store that cannot be reached at open (`https://storage.googleapis.com`). */
  readonly endpoint: string;
  /** Names one delete request takes: 1 where the API deletes one object a request, 1,000 for S3's DeleteObjects. */
  readonly deleteBatchSize: number;
  /** One cheap request proving the store answers (list one name under `prefix`, read the container's properties). */
  probe(prefix: string, options: StoreRequestOptions): Promise<unknown>;
  /** Writes `body` at `name`; with `createOnly`, fails (classified `conflict`) when an object is already there. */
  put(name: string, body: Buffer, options: StoreRequestOptions & { readonly createOnly: boolean }): Promise<unknown>;
  /** The object's bytes, in a buffer the caller may keep; `undefined` or an `absent` error when it is not there (yet). */
  get(name: string, options: StoreRequestOptions): Promise<Uint8Array | undefined>;
  /** One page of names that start with `prefix`, from `token` (undefined: the first page). */
  list(prefix: string, token: string | undefined, options: StoreRequestOptions): Promise<StoreListPage>;
  /** Deletes up to `deleteBatchSize` names in one request; a name that is not there is no error. */
  delete(names: readonly string[], options: StoreRequestOptions): Promise<unknown>;
  /** Reads a failure of one of the calls above. */
  classify(error: unknown): StoreErrorKind;
  /** The HTTP status and a one-line text of an SDK error, for messages. */
  describe(error: unknown): { readonly status?: number | undefined; readonly text: string };
}

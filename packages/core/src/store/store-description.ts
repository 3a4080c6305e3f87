/**
 * What a store's messages name, as data: a driver's channel says which service it talks to, which
 * bucket or container holds the objects and which setting chose it, and what a user should do for
 * each kind of failure. The wording of every message is then the same for every store.
 */
export interface StoreDescription {
  /** The service, e.g. `Cloud Storage`, `Blob Storage`. */
  readonly service: string;
  /** What holds the objects: `bucket`, `container`. */
  readonly noun: string;
  /** Its name. */
  readonly name: string;
  /** The setting it came from (`channels.gcs.bucket`, `FMI_AZURE_CONTAINER`), named in `config` errors. */
  readonly field: string;
  /** How to create it, e.g. `gcloud storage buckets create gs://b`. */
  readonly createHint: string;
  /** Written before a full object name to show where it lives: `gs://b/`, `container/`. */
  readonly locationPrefix: string;
  /** What to do when access is refused. */
  readonly authAdvice: string;
  /** What to check when the service keeps failing until a deadline (", or raise timeoutMs" follows). */
  readonly outageAdvice: string;
  /** The setting that says where the service is, named when it cannot be reached at open. */
  readonly endpointField: string;
  /** What to check when it cannot be reached at open. */
  readonly unreachableAdvice: string;
}

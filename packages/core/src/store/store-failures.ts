import { FmiError } from '../errors.js';
import type { StoreDescription } from './store-description.js';
import type { StoreDriver, StoreErrorKind } from './store-driver.js';

/**
 * The errors a polled store channel raises, worded from the store's description. Messages say what
 * failed, where, and what to do (`[gcs] put "k": ...  — grant ...`); `field` names the setting at
 * fault where there is one, so a `config` error at connect() points at the line to change.
 */
export class StoreFailures {
  readonly channel: string;
  readonly store: StoreDescription;

  constructor(channel: string, store: StoreDescription) {
    this.channel = channel;
    this.store = store;
  }

  /** A final failure of one request, by what the driver read in it. */
  final(driver: Pick<StoreDriver, 'describe'>, kind: Exclude<StoreErrorKind, 'transient'>, error: unknown, op: string, key: string): FmiError {
    const { channel, store } = this;
    const { status, text } = driver.describe(error);
    if (kind === 'auth') {
      return new FmiError(
        'auth',
        `[${channel}] ${op} "${key}": access to ${store.noun} "${store.name}" was refused (${status}: ${text}) — ${store.authAdvice}`,
        {
          channel,
          cause: error,
        },
      );
    }
    // `absent` reaches here only for a request that is not a get: then the store itself is gone.
    if (kind === 'config' || kind === 'absent') {
      return new FmiError(
        'config',
        `[${channel}] ${store.field}: ${store.noun} "${store.name}" not found — create it (${store.createHint}) or set ${store.field}`,
        {
          field: store.field,
          channel,
          cause: error,
        },
      );
    }
    return new FmiError('channel', `[${channel}] ${op} "${key}" failed${status !== undefined ? ` (${status})` : ''}: ${text}`, {
      channel,
      cause: error,
      retryable: false,
    });
  }

  /** The deadline passed while the service kept answering with transient failures: its fault, not the caller's. */
  outage(driver: Pick<StoreDriver, 'describe'>, lastTransient: unknown, op: string, key: string, timeoutMs: number): FmiError {
    const { channel, store } = this;
    return new FmiError(
      'channel',
      `[${channel}] ${op} "${key}": ${store.service} kept failing until the deadline (${timeoutMs} ms): ${driver.describe(lastTransient).text} — ${store.outageAdvice}, or raise timeoutMs`,
      { channel, cause: lastTransient, retryable: true },
    );
  }

  /** open() could not reach the service: at open that is far more often a wrong endpoint than an outage. */
  unreachable(driver: Pick<StoreDriver, 'describe' | 'endpoint'>, error: FmiError): FmiError {
    const { channel, store } = this;
    const cause = error.cause !== undefined ? error.cause : error;
    return new FmiError(
      'config',
      `[${channel}] ${store.endpointField}: cannot reach ${store.service} at ${driver.endpoint} for ${store.noun} "${store.name}": ${driver.describe(cause).text} — ${store.unreachableAdvice}`,
      { field: store.endpointField, channel, cause: error, retryable: true },
    );
  }

  /** A create-only put found other bytes under its key. */
  collision(key: string, name: string, jobPrefix: string): FmiError {
    const { channel, store } = this;
    return new FmiError(
      'protocol',
      `[${channel}] put "${key}": ${store.locationPrefix}${name} already exists with other content — two writers used one key, or an earlier job with the same id left objects behind: use a fresh job id or delete ${store.locationPrefix}${jobPrefix}`,
      { channel, retryable: false },
    );
  }

  /** A call on a channel that is not open (yet, or any more). */
  notOpen(closed: boolean): FmiError {
    return new FmiError(closed ? 'closed' : 'invalid-argument', `[${this.channel}] the channel is ${closed ? 'closed' : 'not open'}`, {
      channel: this.channel,
    });
  }
}

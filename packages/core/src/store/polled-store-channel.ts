import type { ChannelCapabilities, ChannelModel, ChannelOpenContext, ChannelStats, ObjectChannel, WaitOptions } from '../channel.js';
import { FmiError } from '../errors.js';
import { Deadline, sleep, withDeadline } from '../util/deadline.js';
import { pollUntil } from '../util/poll.js';
import type { StoreDescription } from './store-description.js';
import type { StoreDriver, StoreErrorKind } from './store-driver.js';
import { StoreFailures } from './store-failures.js';

/** First pause of a waiting get unless the store sets one; grows ×2 up to `maxPollIntervalMs`. */
const FIRST_POLL_MS = 5;
/** Backoff of retries after transient failures (429, 5xx, resets): first pause and ceiling. */
const RETRY_FIRST_MS = 50;
const RETRY_MAX_MS = 2_000;
/** How long open() keeps retrying a failing service before it reports a config error. */
const OPEN_RETRY_MS = 10_000;
/** Delete requests in flight at once: a cleanup of N objects is N / deleteBatchSize requests. */
const DELETE_CONCURRENCY = 16;

export interface PolledStoreChannelOptions {
  /** The channel's name in config and messages: `gcs`, `azure-blob`. */
  readonly name: string;
  /** Largest object one put takes; core splits larger payloads into objects of at most this size. */
  readonly maxObjectBytes: number;
  /** The store's default model; `pollDelayMs` becomes half of `maxPollIntervalMs` (the average extra wait of a poll). */
  readonly modelDefaults: ChannelModel;
  /** Overrides of the defaults (a calibration profile, `model.channels.<name>` in config); prices merge per request type. */
  readonly model?: Partial<ChannelModel> | undefined;
  /** Prefix of every object name; objects are `${prefix}${job}/${key}`. */
  readonly prefix: string;
  /** Longest pause between two polls of a waiting `get`, ms. */
  readonly maxPollIntervalMs: number;
  /** First pause of a waiting `get`, ms; default 5. It doubles up to `maxPollIntervalMs`. */
  readonly firstPollIntervalMs?: number;
  /**
   * Puts are create-only (default true): core writes every key once, so an object already in place
   * is either this rank's own earlier attempt (a retry after a lost answer; equal bytes, and the put
   * succeeds) or a collision / a stale object of an earlier job with the same id (the put fails with
   * `protocol` instead of silently mixing data). False for stores that cannot make a write conditional.
   */
  readonly createOnly?: boolean;
  /** What messages name: the service, the bucket or container and the setting it came from, and what to do. */
  readonly store: StoreDescription;
  /** Loads the SDK (lazily, one client per process) and returns a driver bound to the store. Makes no request. */
  connect(): Promise<StoreDriver>;
}

/**
 * An object channel over any store that offers put, get, list and delete but no notification:
 * the driver makes single requests, and this class derives the rest, the same way for every store.
 *
 * - Keys are namespaced by job: objects are `${prefix}${job}/${key}`, and `list` never leaves the job.
 * - A waiting `get` polls with exponential backoff and jitter (`pollUntil`), bounded by the
 *   operation's deadline: no store here notifies a function cheaply (Pub/Sub, Event Grid take seconds).
 * - Every request is retried on transient failures with capped, jittered backoff until the
 *   operation's deadline, by the deadline's clock; SDK retries must be off, because they run on
 *   their own clock and would outlive an FMI deadline. A deadline that passes while the service
 *   keeps failing is the service's fault: `channel`, with the last failure as the cause.
 * - `list` follows pages; `delete` sends batches of the driver's size, several at once.
 * - `stats()` counts every request, so the cost model and `fmi bench` see what a job paid for.
 */
export class PolledStoreChannel implements ObjectChannel {
  readonly name: string;
  readonly kind = 'object' as const;
  readonly capabilities: ChannelCapabilities;
  readonly model: ChannelModel;

  readonly #options: PolledStoreChannelOptions;
  readonly #failures: StoreFailures;
  #driver: StoreDriver | undefined;
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

  constructor(options: PolledStoreChannelOptions) {
    this.name = options.name;
    this.capabilities = {
      maxPayloadBytes: options.maxObjectBytes,
      // A counter would be a read-modify-write loop on conditional writes: N ranks contending cost
      // O(N^2) requests at tens of ms each, worse than core's marker barrier (N puts + lists).
      atomicCounter: false,
      // Polled by definition: see the class comment.
      nativeWait: false,
      // Stores expire objects by lifecycle rules (age in days, by prefix), not per object: see each provider's README.
      ttl: false,
    };
    const { modelDefaults, model } = options;
    this.model = {
      ...modelDefaults,
      pollDelayMs: options.maxPollIntervalMs / 2,
      ...model,
      pricePerRequest: { ...modelDefaults.pricePerRequest, ...model?.pricePerRequest },
    };
    this.#options = options;
    this.#failures = new StoreFailures(options.name, options.store);
  }

  /**
   * Loads the SDK and checks that the store answers with one cheap request. A missing bucket or
   * container fails with `config` naming the setting it came from; refused credentials with `auth`;
   * a service that stays unreachable with `config` (retryable) naming where it was looked for.
   */
  async open(ctx: ChannelOpenContext): Promise<void> {
    const { name } = this;
    if (this.#closed) throw new FmiError('closed', `[${name}] open() after close()`, { channel: name });
    if (this.#driver) throw new FmiError('invalid-argument', `[${name}] open() called twice`, { channel: name });
    const driver = await withDeadline(this.#options.connect(), ctx.deadline);
    this.#jobPrefix = `${this.#options.prefix}${ctx.job}/`;
    // Retry a failing service for at most OPEN_RETRY_MS: at open, a refused connection is far more
    // often a wrong endpoint than an outage, and connect() should say so soon.
    const deadline = new Deadline(Math.min(ctx.deadline.remaining(), OPEN_RETRY_MS), `[${name}] open`, ctx.deadline.signal);
    try {
      await this.#request(driver, 'open', '', deadline, (signal) => driver.probe(this.#jobPrefix, { signal }));
    } catch (error) {
      throw FmiError.isKind(error, 'channel') || FmiError.isKind(error, 'timeout') ? this.#failures.unreachable(driver, error) : error;
    } finally {
      deadline.dispose();
    }
    this.#driver = driver;
    this.#opened = true;
    const { store } = this.#options;
    ctx.logger.debug(`[fmi] [${name}] opened`, { [store.noun]: store.name, prefix: this.#jobPrefix, endpoint: driver.endpoint });
  }

  async put(key: string, data: Uint8Array, options: WaitOptions): Promise<void> {
    const max = this.capabilities.maxPayloadBytes;
    if (data.byteLength > max) {
      throw new FmiError(
        'invalid-argument',
        `[${this.name}] put "${key}": ${data.byteLength} bytes is above the channel's object limit of ${max} bytes — core splits larger payloads; call put with smaller objects`,
        { field: 'data', channel: this.name },
      );
    }
    const driver = this.#openDriver();
    const name = this.#jobPrefix + key;
    // Copy now: the caller may reuse its buffer as soon as put resolves, and a retry resends these bytes.
    const body = Buffer.from(data);
    const createOnly = this.#options.createOnly ?? true;
    const written = await this.#request(
      driver,
      'put',
      key,
      options.deadline,
      async (signal) => {
        await driver.put(name, body, { createOnly, signal });
        return true;
      },
      { kind: 'conflict', value: false },
    );
    if (!written) await this.#resolveConflict(driver, key, name, body, options.deadline);
    this.#counts.puts++;
    this.#counts.bytesPut += body.byteLength;
  }

  async get(key: string, options: WaitOptions & { wait: boolean }): Promise<Uint8Array | undefined> {
    const driver = this.#openDriver();
    const once = () => this.#download(driver, key, options.deadline);
    const value = options.wait
      ? await pollUntil(once, options.deadline, {
          firstDelayMs: this.#options.firstPollIntervalMs ?? FIRST_POLL_MS,
          maxDelayMs: this.#options.maxPollIntervalMs,
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

  /** Deletes in batches of the driver's size, DELETE_CONCURRENCY requests at once. Absent keys are not an error. */
  async delete(keys: readonly string[], options: WaitOptions): Promise<void> {
    if (keys.length === 0) return;
    const driver = this.#openDriver();
    const size = Math.max(1, driver.deleteBatchSize);
    const batches: string[][] = [];
    for (let at = 0; at < keys.length; at += size) batches.push(keys.slice(at, at + size));
    let next = 0;
    const worker = async () => {
      while (next < batches.length) {
        const batch = batches[next++]!;
        const label = batch.length === 1 ? batch[0]! : `${batch[0]} (+${batch.length - 1})`;
        const names = batch.map((key) => this.#jobPrefix + key);
        await this.#request(driver, 'delete', label, options.deadline, (signal) => driver.delete(names, { signal }));
        this.#counts.deletes += batch.length;
      }
    };
    await Promise.all(Array.from({ length: Math.min(DELETE_CONCURRENCY, batches.length) }, worker));
  }

  /** Keys under the job that start with `prefix`, sorted, following the store's pages. */
  async list(prefix: string, options: WaitOptions): Promise<string[]> {
    const driver = this.#openDriver();
    const full = this.#jobPrefix + prefix;
    const strip = this.#jobPrefix.length;
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const from = token;
      const page = await this.#request(driver, 'list', prefix, options.deadline, (signal) => driver.list(full, from, { signal }));
      this.#counts.listPages++;
      for (const name of page.names) keys.push(name.slice(strip));
      token = page.next || undefined;
    } while (token);
    this.#counts.lists++;
    return keys.sort();
  }

  /**
   * Marks the channel closed. It deletes nothing itself: the communicator deletes what the job
   * created (after every peer has read it) before it closes the channel. The SDK client is shared
   * by the process (warm starts reuse it), so it stays.
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#opened = false;
    this.#driver = undefined;
  }

  /** Request counts (each one request, polls that found nothing included), the store and the job's prefix. */
  stats(): ChannelStats {
    const { store } = this.#options;
    return { ...this.#counts, [store.noun]: store.name, prefix: this.#jobPrefix };
  }

  #openDriver(): StoreDriver {
    if (!this.#opened || !this.#driver) throw this.#failures.notOpen(this.#closed);
    return this.#driver;
  }

  /** One get; `undefined` when the object does not exist (yet). */
  async #download(driver: StoreDriver, key: string, deadline: Deadline): Promise<Uint8Array | undefined> {
    const name = this.#jobPrefix + key;
    return this.#request(driver, 'get', key, deadline, (signal) => driver.get(name, { signal }), { kind: 'absent', value: undefined });
  }

  /** A create-only put found an object in place: ours from an earlier attempt (equal bytes), or someone else's. */
  async #resolveConflict(driver: StoreDriver, key: string, name: string, body: Buffer, deadline: Deadline): Promise<void> {
    this.#counts.conflicts++;
    const existing = await this.#download(driver, key, deadline);
    if (existing && Buffer.compare(Buffer.from(existing.buffer, existing.byteOffset, existing.byteLength), body) === 0) return;
    throw this.#failures.collision(key, name, this.#jobPrefix);
  }

  /**
   * Runs one request within the deadline, retrying transient failures. A failure of the kind
   * `answer` names (a get's `absent`, a put's `conflict`) is an answer, not a failure: it resolves
   * to `answer.value`. Elsewhere `absent` means the bucket or container is gone.
   */
  async #request<T, A = never>(
    driver: StoreDriver,
    op: string,
    key: string,
    deadline: Deadline,
    call: (signal: AbortSignal) => Promise<T>,
    answer?: { readonly kind: StoreErrorKind; readonly value: A },
  ): Promise<T | A> {
    let delay = RETRY_FIRST_MS;
    let lastTransient: unknown;
    for (;;) {
      if (this.#closed) throw new FmiError('closed', `[${this.name}] ${op} "${key}": the channel was closed`, { channel: this.name });
      try {
        deadline.throwIfExpired();
        return await withDeadline(call(deadline.signal), deadline);
      } catch (error) {
        if (FmiError.is(error)) throw this.#outageOr(driver, error, lastTransient, op, key, deadline);
        // The deadline's signal aborted the request itself: the SDK's abort error says less than the deadline's.
        if (deadline.signal.aborted) throw this.#outageOr(driver, deadline.signal.reason, lastTransient, op, key, deadline);
        const kind = driver.classify(error);
        if (answer && kind === answer.kind) return answer.value;
        if (kind !== 'transient') throw this.#failures.final(driver, kind, error, op, key);
        lastTransient = error;
        this.#counts.retries++;
        try {
          await sleep(delay / 2 + Math.random() * (delay / 2), deadline);
        } catch (timeout) {
          throw this.#outageOr(driver, timeout, lastTransient, op, key, deadline);
        }
        delay = Math.min(RETRY_MAX_MS, delay * 2);
      }
    }
  }

  /** A timeout after transient failures becomes the service's outage; anything else stays as it is. */
  #outageOr(driver: StoreDriver, error: unknown, lastTransient: unknown, op: string, key: string, deadline: Deadline): unknown {
    if (lastTransient === undefined || !FmiError.isKind(error, 'timeout')) return error;
    return this.#failures.outage(driver, lastTransient, op, key, deadline.timeoutMs);
  }
}

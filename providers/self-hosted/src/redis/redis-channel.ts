import {
  asChannelError,
  type ChannelCapabilities,
  type ChannelModel,
  type ChannelOpenContext,
  type ChannelStats,
  channelModel,
  type Deadline,
  FmiError,
  type ObjectChannel,
  type WaitOptions,
} from '@fmi/core';
import { createClient, RESP_TYPES } from 'redis';
import { onAbort, raceDeadline } from './deadline-race.js';
import { ErrorReply, fromErrorReply, isClientClosed, isConnectionError, socketCause, wasNeverSent } from './redis-errors.js';
import { DEFAULT_KEY_PREFIX, DEFAULT_TTL_SECONDS, jobPrefix, prefixPattern } from './redis-keys.js';
import { checkRedisUrl, redactUrl } from './redis-options.js';

/**
 * Largest value Redis accepts in one command: `proto-max-bulk-len`, 512 MiB by default. Larger
 * objects are rejected with `invalid-argument` rather than chunked: `capabilities.maxPayloadBytes`
 * tells core the limit, and core already splits large transfers for the policy's sake, so chunking
 * here would only duplicate that logic (and make a put of several keys non-atomic).
 */
export const REDIS_MAX_VALUE_BYTES = 512 * 1024 * 1024;

/**
 * Values up to this size travel inside the put's PUBLISH as well as in the key, so a waiting `get`
 * returns straight from the notification instead of paying one more GET round trip. Above it the
 * notification is a single byte and the waiter GETs the value: sending a large value twice would
 * cost more than the round trip it saves.
 */
const INLINE_NOTIFY_MAX_BYTES = 64 * 1024;

/**
 * Notification bodies: a non-empty message is the value itself (sent without a copy); an empty
 * message says "it landed, GET it" (a large value, or an empty one, which GET returns as such).
 */
const NOTE_LANDED = Buffer.alloc(0);

/** Keys per UNLINK command; batches go out pipelined in one round trip. */
const DELETE_BATCH = 512;
const SCAN_COUNT = 1000;
/** Bound of the graceful part of `close()`; after it the socket is destroyed. */
const CLOSE_GRACE_MS = 2_000;

export interface RedisChannelOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://` for TLS. Redis 6 or newer (RESP3). */
  readonly url: string;
  /** Prefix of every key and pub/sub channel; default `fmi:`. Keys are `${keyPrefix}${job}/${key}`. */
  readonly keyPrefix?: string;
  /** Lifetime of every key the channel writes; default 86,400 s. */
  readonly ttlSeconds?: number;
  /** The setting `url` came from, named in `config` errors; default `channels.redis.url`. */
  readonly urlField?: string;
  /** Overrides of the model's defaults (a calibration profile). */
  readonly model?: Partial<ChannelModel>;
}

/**
 * Default model. FMI (ICS 2023) measured Redis on AWS (ElastiCache, Lambda clients) at about
 * 5.2 ms per request plus 100 MB/s per rank (it saw 400 MB/s one way; we take the lower figure);
 * the price is an always-on cache.t3.small-class node, $0.038/hour, and nothing per request.
 * Concurrency: all requests of a rank are pipelined on one connection, so latencies overlap; 8 is
 * a conservative count until `fmi calibrate` measures the deployment.
 */
export const REDIS_MODEL_DEFAULTS: ChannelModel = channelModel({
  latencyMs: 5.2,
  bandwidthBytesPerMs: 100_000,
  concurrency: 8,
  pollDelayMs: 0,
  pricePerHour: 0.038,
  pricePerRequest: {},
});

function makeClient(url: string, name: string, connectTimeout: number, reconnectStrategy: (retries: number, cause: Error) => number | Error) {
  return createClient({
    url,
    // RESP3 lets one connection carry both subscriptions and ordinary commands; the wait protocol
    // below depends on that (SUBSCRIBE and GET in order on the same connection).
    RESP: 3,
    name,
    // A command issued while disconnected fails at once instead of sitting in a queue past its
    // deadline; `run()` then waits for the reconnect and retries within the caller's deadline.
    disableOfflineQueue: true,
    socket: { connectTimeout, reconnectStrategy },
  }).withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
}
type Client = ReturnType<typeof makeClient>;

/** One pending `get(wait)`, woken by a notification for its key or by a reconnect (then it re-checks). */
class KeyWaiter {
  /** The value, when the notification carried it. */
  payload: Buffer | undefined;
  #pending = false;
  #wake: (() => void) | undefined;

  notify(payload: Buffer | undefined): void {
    if (payload !== undefined && this.payload === undefined) this.payload = payload;
    this.#pending = true;
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Resolves at the next notification (or at once if one came since the last call); rejects when `signal` aborts. */
  next(signal: AbortSignal): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const cancel = onAbort(signal, () => {
        this.#wake = undefined;
        reject(signal.reason);
      });
      this.#wake = () => {
        cancel();
        this.#pending = false;
        resolve();
      };
    });
  }
}

/** The local waiters of one key and the state of its subscription. */
interface Watch {
  readonly waiters: Set<KeyWaiter>;
  subscribed: Promise<void> | undefined;
}

type RetryMode = 'idempotent' | 'unsent';

/**
 * The Redis object channel: objects are Redis strings with a TTL, counters are INCRBY, and waits
 * are pushed by pub/sub — nothing ever polls.
 *
 * Wait protocol (no lost wake-up). Each channel instance (one rank) has one RESP3 connection that
 * carries both commands and subscriptions. `put` sends `SET key value EX ttl` and then
 * `PUBLISH key <note>` on that connection. A waiting `get` sends `SUBSCRIBE key` and then `GET key`
 * in the same write. Redis executes one connection's commands in order, so when that GET runs the
 * subscription is already live: if the SET ran before the GET, the GET sees the value; if after,
 * the PUBLISH that follows it reaches us. Either way the waiter wakes, in one round trip, and many
 * concurrent waits (a collective waits for up to N-1 objects) share the one connection and one
 * local map of waiters. On a reconnect node-redis re-subscribes before it reports `ready`, and
 * every waiter then re-checks with GET, so a put that landed while we were disconnected is seen.
 *
 * MULTI is deliberately not used on this connection: Redis 7.0 nests a push that the transaction
 * itself triggers inside the EXEC reply, which node-redis cannot decode.
 */
export class RedisChannel implements ObjectChannel {
  readonly name = 'redis';
  readonly kind = 'object' as const;
  readonly capabilities: ChannelCapabilities = {
    maxPayloadBytes: REDIS_MAX_VALUE_BYTES,
    atomicCounter: true,
    nativeWait: true,
    ttl: true,
  };
  readonly model: ChannelModel;

  readonly #url: string;
  readonly #urlField: string;
  readonly #keyPrefix: string;
  readonly #ttlSeconds: number;
  #client: Client | undefined;
  #ctx: ChannelOpenContext | undefined;
  #prefix = '';
  #opened = false;
  #closed = false;
  #lastError: unknown;
  /** Between a connection error and the next `ready`: logs one warning per outage. */
  #down = false;
  readonly #watches = new Map<string, Watch>();
  readonly #readyWaiters = new Set<() => void>();
  readonly #counts = {
    puts: 0,
    gets: 0,
    waits: 0,
    inlineWakeups: 0,
    notifications: 0,
    deletes: 0,
    lists: 0,
    increments: 0,
    bytesPut: 0,
    bytesGot: 0,
    retries: 0,
    disconnects: 0,
    reconnects: 0,
  };

  constructor(options: RedisChannelOptions) {
    this.#url = options.url;
    this.#urlField = options.urlField ?? 'channels.redis.url';
    this.#keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.#ttlSeconds = options.ttlSeconds ?? DEFAULT_TTL_SECONDS;
    this.model = { ...REDIS_MODEL_DEFAULTS, ...options.model };
  }

  /** Connects. Fails with `config` (naming the URL's setting) when the URL is unusable or nothing answers there, `auth` when Redis refuses the credentials. */
  async open(ctx: ChannelOpenContext): Promise<void> {
    if (this.#closed) throw new FmiError('closed', '[redis] open() after close()', { channel: 'redis' });
    if (this.#client) throw new FmiError('invalid-argument', '[redis] open() called twice', { channel: 'redis' });
    checkRedisUrl(this.#url, this.#urlField);
    this.#ctx = ctx;
    this.#prefix = jobPrefix(this.#keyPrefix, ctx.job);

    const connectTimeout = Math.max(1, Math.min(ctx.deadline.remaining(), 10_000));
    const client = makeClient(this.#url, clientName(ctx.job, ctx.rank), connectTimeout, (retries, cause) => {
      // Before the first successful connect, give up at once: open() reports the cause as a
      // config error. Afterwards, keep reconnecting with capped backoff; every operation is
      // bounded by its own deadline, so a dead server surfaces as a `channel` error there.
      if (!this.#opened || this.#closed) return cause instanceof Error ? cause : new Error(String(cause));
      return Math.min(20 * 2 ** retries, 500);
    });
    client.on('error', (error: unknown) => this.#onClientError(error));
    client.on('end', () => {
      if (this.#opened && !this.#closed) this.#counts.disconnects++;
    });
    client.on('ready', () => this.#onReady());

    try {
      await raceDeadline(client.connect(), ctx.deadline);
    } catch (error) {
      client.destroy();
      throw this.#openError(error, ctx.deadline);
    }
    this.#client = client;
    this.#opened = true;
    ctx.logger.debug('[fmi] [redis] connected', { url: redactUrl(this.#url), job: ctx.job, rank: ctx.rank });
  }

  async put(key: string, data: Uint8Array, options: WaitOptions): Promise<void> {
    if (data.byteLength > REDIS_MAX_VALUE_BYTES) {
      throw new FmiError(
        'invalid-argument',
        `[redis] put "${key}": ${data.byteLength} bytes is above Redis's limit of 512 MiB (${REDIS_MAX_VALUE_BYTES} bytes, proto-max-bulk-len) per value — split the payload or use another channel`,
        { field: 'data', channel: 'redis' },
      );
    }
    const fullKey = this.#key(key);
    const value = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const note = value.byteLength <= INLINE_NOTIFY_MAX_BYTES ? value : NOTE_LANDED;
    // SET then PUBLISH, in one write: the key exists before anyone is told about it. Both are
    // idempotent for an immutable object, so a put cut by a lost connection is simply resent.
    await this.#run('put', key, options.deadline, 'idempotent', (client) =>
      Promise.all([client.set(fullKey, value, { expiration: { type: 'EX', value: this.#ttlSeconds } }), client.publish(fullKey, note)]),
    );
    this.#counts.puts++;
    this.#counts.bytesPut += value.byteLength;
  }

  async get(key: string, options: WaitOptions & { wait: boolean }): Promise<Uint8Array | undefined> {
    const fullKey = this.#key(key);
    const value = options.wait
      ? await this.#waitFor(key, fullKey, options.deadline)
      : ((await this.#run('get', key, options.deadline, 'idempotent', (client) => client.get(fullKey))) ?? undefined);
    this.#counts.gets++;
    if (value) this.#counts.bytesGot += value.byteLength;
    return value;
  }

  async delete(keys: readonly string[], options: WaitOptions): Promise<void> {
    if (keys.length === 0) return;
    const fullKeys = keys.map((key) => this.#key(key));
    const batches: string[][] = [];
    for (let i = 0; i < fullKeys.length; i += DELETE_BATCH) batches.push(fullKeys.slice(i, i + DELETE_BATCH));
    // UNLINK frees large values off Redis's main thread; deleting an absent key is a no-op, so a
    // retry after a lost connection is safe.
    await this.#run('delete', keys[0] ?? '', options.deadline, 'idempotent', (client) => Promise.all(batches.map((batch) => client.unlink(batch))));
    this.#counts.deletes += keys.length;
  }

  /**
   * Lists with SCAN MATCH on the job's prefix (never KEYS, which blocks the server). SCAN walks the
   * whole keyspace, so a list costs O(keys in the database) — fine for a Redis dedicated to FMI or
   * a modest shared one, and core only lists on Redis as a fallback (it prefers the counter and
   * native waits). A per-job index set would make list O(job keys) but costs a second write on
   * every put and can disagree with the keys' own TTLs; we chose the simpler, always-true SCAN.
   */
  async list(prefix: string, options: WaitOptions): Promise<string[]> {
    const pattern = prefixPattern(this.#key(prefix));
    const strip = this.#prefix.length;
    const keys = await this.#run('list', prefix, options.deadline, 'idempotent', async (client) => {
      const found = new Set<string>();
      let cursor = '0';
      do {
        const reply = await client.scan(cursor, { MATCH: pattern, COUNT: SCAN_COUNT });
        cursor = String(reply.cursor);
        for (const key of reply.keys) found.add(String(key).slice(strip));
        // The race in run() already rejected the caller; stop walking the keyspace for nobody.
        if (options.deadline.expired) break;
      } while (cursor !== '0');
      return found;
    });
    this.#counts.lists++;
    return [...keys].sort();
  }

  /**
   * Atomic add. `SET key 0 EX ttl NX` then `INCRBY`: the first increment creates the counter with
   * its TTL and INCRBY keeps it. An increment is not idempotent, so it is retried only when the
   * command certainly never left this process; lost in flight, it fails (`channel`, not retryable)
   * rather than risk counting twice.
   */
  async increment(key: string, by: number, options: WaitOptions): Promise<number> {
    if (!Number.isSafeInteger(by)) {
      throw new FmiError('invalid-argument', `[redis] increment "${key}": by must be a safe integer, got ${by}`, { field: 'by', channel: 'redis' });
    }
    const fullKey = this.#key(key);
    const [, value] = await this.#run('increment', key, options.deadline, 'unsent', (client) =>
      Promise.all([client.set(fullKey, '0', { expiration: { type: 'EX', value: this.#ttlSeconds }, condition: 'NX' }), client.incrBy(fullKey, by)]),
    );
    this.#counts.increments++;
    return value;
  }

  /**
   * Quits the connection. Pending waits fail with `closed`. It does not delete objects: the
   * communicator deletes what its rank created (after the peers have read it) before it closes
   * the channel, and the TTL removes anything a crash left behind.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const watch of this.#watches.values()) for (const waiter of watch.waiters) waiter.notify(undefined);
    for (const ready of this.#readyWaiters) ready();
    this.#readyWaiters.clear();
    const client = this.#client;
    this.#client = undefined;
    if (!client) return;
    if (!client.isReady) {
      client.destroy();
      return;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        client.close(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, CLOSE_GRACE_MS);
        }),
      ]);
    } catch {
      // The connection is going away either way; destroy() below releases the socket.
    } finally {
      clearTimeout(timer);
      if (client.isOpen) client.destroy();
    }
  }

  stats(): ChannelStats {
    return { ...this.#counts, connected: this.#client?.isReady ?? false, pendingWaits: this.#pendingWaits() };
  }

  #pendingWaits(): number {
    let n = 0;
    for (const watch of this.#watches.values()) n += watch.waiters.size;
    return n;
  }

  #key(key: string): string {
    if (!this.#opened) {
      throw new FmiError(this.#closed ? 'closed' : 'invalid-argument', `[redis] the channel is ${this.#closed ? 'closed' : 'not open'}`, { channel: 'redis' });
    }
    return this.#prefix + key;
  }

  /** The event-driven wait; see the class comment for why it cannot miss a put. */
  async #waitFor(key: string, fullKey: string, deadline: Deadline): Promise<Buffer> {
    let watch = this.#watches.get(fullKey);
    if (!watch) {
      watch = { waiters: new Set(), subscribed: undefined };
      this.#watches.set(fullKey, watch);
    }
    const current = watch;
    const waiter = new KeyWaiter();
    current.waiters.add(waiter);
    this.#counts.waits++;
    try {
      for (;;) {
        const value = await this.#run('get', key, deadline, 'idempotent', (client) => {
          current.subscribed ??= client.subscribe(fullKey, this.#onMessage, true).catch((error: unknown) => {
            // Not subscribed after all: the next attempt subscribes again.
            current.subscribed = undefined;
            throw error;
          });
          const get = client.get(fullKey);
          return Promise.all([current.subscribed, get]).then(([, v]) => v);
        });
        if (value !== null) return value;
        try {
          await waiter.next(deadline.signal);
        } catch (error) {
          throw this.#deadlineError(error, 'get', key, deadline);
        }
        if (this.#closed) throw this.#closedError('get', key);
        if (waiter.payload !== undefined) {
          this.#counts.inlineWakeups++;
          return waiter.payload;
        }
        // A bare notification or a reconnect: GET again.
      }
    } finally {
      current.waiters.delete(waiter);
      if (current.waiters.size === 0 && this.#watches.get(fullKey) === current) {
        this.#watches.delete(fullKey);
        this.#unsubscribeLater(fullKey, current);
      }
    }
  }

  /**
   * Drops the subscription once its SUBSCRIBE has settled (node-redis registers the listener only
   * then), unless a new waiter for the same key came meanwhile: the listener function is shared,
   * so unsubscribing would silence that waiter.
   */
  #unsubscribeLater(fullKey: string, watch: Watch): void {
    const client = this.#client;
    const subscribed = watch.subscribed;
    if (!client || !subscribed) return;
    subscribed.then(
      () => {
        if (this.#watches.has(fullKey) || this.#client !== client) return;
        client.unsubscribe(fullKey, this.#onMessage, true).catch(() => {
          // A subscription that outlives its waiter only costs a few bytes until close().
        });
      },
      () => {},
    );
  }

  readonly #onMessage = (message: Buffer, channel: Buffer): void => {
    const watch = this.#watches.get(channel.toString('utf8'));
    if (!watch) return;
    this.#counts.notifications++;
    const inline = message.length > 0 ? message : undefined;
    let first = true;
    for (const waiter of watch.waiters) {
      // Each caller owns the buffer it gets: a second waiter on the same key gets a copy.
      waiter.notify(inline !== undefined && !first ? Buffer.from(inline) : inline);
      first = false;
    }
  };

  #onReady(): void {
    if (!this.#opened) return;
    this.#down = false;
    this.#counts.reconnects++;
    this.#ctx?.logger.info('[fmi] [redis] reconnected', { url: redactUrl(this.#url) });
    // Subscriptions are back (node-redis restores them before `ready`); puts that landed while we
    // were away sent their notification to nobody, so every waiter re-checks.
    for (const watch of this.#watches.values()) for (const waiter of watch.waiters) waiter.notify(undefined);
    for (const ready of this.#readyWaiters) ready();
    this.#readyWaiters.clear();
  }

  #onClientError(error: unknown): void {
    // node-redis reports every failed (re)connect here; the operations that need the connection
    // report it through their own errors, so here it is only recorded, and logged once per outage.
    this.#lastError = socketCause(error);
    if (this.#opened && !this.#closed && !this.#down) {
      this.#down = true;
      this.#ctx?.logger.warn('[fmi] [redis] connection lost, reconnecting', { url: redactUrl(this.#url), error: errorText(this.#lastError) });
    }
  }

  /**
   * Runs one request within the deadline. A lost connection is retried once the client is ready
   * again (an idempotent request) or only if it was never sent (`unsent`), until the deadline; then
   * it fails with `channel`, carrying the connection's error as the cause.
   */
  async #run<T>(op: string, key: string, deadline: Deadline, mode: RetryMode, request: (client: Client) => Promise<T>): Promise<T> {
    for (;;) {
      const client = this.#client;
      if (!client || this.#closed) throw this.#closedError(op, key);
      try {
        return await raceDeadline(request(client), deadline);
      } catch (error) {
        if (FmiError.is(error)) throw this.#deadlineError(error, op, key, deadline);
        if (error instanceof ErrorReply) throw fromErrorReply(`${op} "${key}"`, error);
        if (this.#closed || isClientClosed(error)) throw this.#closedError(op, key);
        if (!isConnectionError(error)) throw asChannelError('redis', `${op} "${key}"`, error);
        this.#lastError = error;
        if (mode === 'unsent' && !wasNeverSent(error)) {
          throw new FmiError(
            'channel',
            `[redis] ${op} "${key}": the connection was lost while the command was in flight, so whether it took effect is unknown (${errorText(error)})`,
            { cause: error, channel: 'redis', retryable: false },
          );
        }
        this.#counts.retries++;
        await this.#whenReady(op, key, deadline);
      }
    }
  }

  /** Resolves when the client is connected again (event-driven, no polling); rejects at the deadline. */
  #whenReady(op: string, key: string, deadline: Deadline): Promise<void> {
    if (this.#client?.isReady || this.#closed) return Promise.resolve();
    const signal = deadline.signal;
    if (signal.aborted) return Promise.reject(this.#deadlineError(signal.reason, op, key, deadline));
    return new Promise((resolve, reject) => {
      const cancel = onAbort(signal, () => {
        this.#readyWaiters.delete(onReady);
        reject(this.#deadlineError(signal.reason, op, key, deadline));
      });
      const onReady = () => {
        cancel();
        resolve();
      };
      this.#readyWaiters.add(onReady);
    });
  }

  /** A deadline that passed while Redis was unreachable is the connection's fault: `channel`, with its cause. */
  #deadlineError(error: unknown, op: string, key: string, deadline: Deadline): unknown {
    if (!FmiError.isKind(error, 'timeout') || this.#client?.isReady !== false || this.#closed) return error;
    const cause = this.#lastError;
    return new FmiError(
      'channel',
      `[redis] ${op} "${key}": Redis at ${redactUrl(this.#url)} is unreachable and the connection was not restored within ${deadline.timeoutMs} ms${
        cause === undefined ? '' : ` (${errorText(cause)})`
      } — check that the server is up`,
      { cause: cause ?? error, channel: 'redis' },
    );
  }

  #closedError(op: string, key: string): FmiError {
    return new FmiError('closed', `[redis] ${op} "${key}": the channel was closed`, { channel: 'redis' });
  }

  #openError(error: unknown, deadline: Deadline): FmiError {
    const cause = socketCause(error);
    const where = redactUrl(this.#url);
    if (cause instanceof ErrorReply) {
      if (/unknown command.*HELLO|HELLO/i.test(cause.message) && /unknown|ERR/.test(cause.message)) {
        return new FmiError('config', `[redis] ${this.#urlField}: ${where} does not speak RESP3 (${cause.message}) — FMI needs Redis 6 or newer`, {
          field: this.#urlField,
          channel: 'redis',
          cause,
        });
      }
      return fromErrorReply(`connecting to ${where}`, cause);
    }
    const timedOut = FmiError.isKind(cause, 'timeout');
    const detail = timedOut ? `no answer within ${deadline.timeoutMs} ms` : errorText(cause);
    return new FmiError('config', `[redis] ${this.#urlField}: cannot connect to ${where}: ${detail} — check the URL and that redis-server is running there`, {
      field: this.#urlField,
      channel: 'redis',
      cause: timedOut && this.#lastError !== undefined ? this.#lastError : cause,
      // Nothing listening may be a server still starting; a malformed URL never reaches here.
      retryable: true,
    });
  }
}

/** CLIENT SETNAME refuses spaces and control characters; the name shows who is who in CLIENT LIST. */
function clientName(job: string, rank: number): string {
  return `fmi/${job}/${rank}`.replace(/[^\x21-\x7e]/g, '_').slice(0, 200);
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

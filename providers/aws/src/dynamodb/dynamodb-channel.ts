import type { AttributeValue, DynamoDBClient, QueryCommandOutput, WriteRequest } from '@aws-sdk/client-dynamodb';
import {
  type ChannelCapabilities,
  type ChannelModel,
  type ChannelOpenContext,
  type Clock,
  type Deadline,
  FmiError,
  type ObjectChannel,
  pollUntil,
  sleep,
  type WaitOptions,
} from '@fmi/core';
import { DYNAMODB_MODEL_DEFAULTS } from '../model-defaults.js';
import { runLimited } from '../run-limited.js';
import { httpStatus, isAuthError, isThrottle, sdkError, sdkErrorName } from '../sdk-errors.js';
import { type DynamoDbSdk, dynamoDbClient, dynamoDbSdk } from './dynamodb-client.js';
import type { ResolvedDynamoDbSettings } from './dynamodb-settings.js';
import { createTableInput, TABLE_KEY, TTL_ATTRIBUTE } from './table-schema.js';

/**
 * Payload bytes per item. DynamoDB caps an item at 400 KB (409,600 bytes) counting attribute names
 * and values, keys included; the job id (≤128) and the key (core's keys are short) plus our
 * attribute names fit in the remaining ~29 KB with room to spare.
 */
export const DYNAMODB_ITEM_PAYLOAD_BYTES = 380_000;
/**
 * Largest object the channel accepts: 177 items. Above 400 KB an object is chunked (see `put`);
 * 64 MiB bounds what one put may cost (65,536 write units, $0.04) and how long a get takes. The
 * policy sees this limit in `capabilities.maxPayloadBytes` and uses another channel above it.
 */
export const DYNAMODB_MAX_OBJECT_BYTES = 64 * 1024 * 1024;
/** Separates an object key from its chunk number in `sk`; core's keys never contain it. */
const CHUNK_SEPARATOR = '\u0001';
/** BatchWriteItem's limit. */
const BATCH_WRITE = 25;
const PARALLEL = 4;
const PARALLEL_SINGLE = 8;

type Item = Record<string, AttributeValue>;

interface DynamoCounts {
  puts: number;
  chunkWrites: number;
  gets: number;
  misses: number;
  polls: number;
  queries: number;
  deletes: number;
  batchWrites: number;
  increments: number;
  throttled: number;
  /** Estimated billed units (on-demand): 1 KB per write unit, 4 KB per consistent read unit. */
  writeUnits: number;
  readUnits: number;
  bytesPut: number;
  bytesGot: number;
}

/**
 * The DynamoDB object channel. One table (schema in table-schema.ts), one item per object of at
 * most 380,000 bytes; larger objects are chunked into several items plus a head item written last
 * (so a reader that sees the head finds every chunk). Counters are `UpdateItem ADD`, atomic on the
 * server; every item carries a `ttl` attribute so DynamoDB's TTL removes what a crashed job left.
 * Waits poll GetItem with backoff: DynamoDB Streams cannot wake a function in milliseconds.
 * All reads are strongly consistent, so a get after a completed put always sees it.
 *
 * Why not core's `PolledStoreChannel` (as `s3`, `gcs` and `azure-blob` are): its driver contract is
 * one object per name and one request per call, and it cannot offer an atomic counter. DynamoDB
 * differs in all three: an object above 380,000 bytes is several items (chunks, written before the
 * head, read back by Query, deleted by BatchWriteItem with the chunk count remembered per key),
 * `increment` is `UpdateItem ADD` with its own never-resend-unless-throttled rule, and expiry is a
 * per-item `ttl` attribute. Fitting those through the driver would push the channel's logic into
 * the driver anyway. It shares the rest: `importPeerSdk`/`sharedClient` for its clients, core's
 * option checks for its settings, `pollUntil` for waits.
 */
export class DynamoDbChannel implements ObjectChannel {
  readonly name = 'dynamodb';
  readonly kind = 'object' as const;
  readonly capabilities: ChannelCapabilities = {
    maxPayloadBytes: DYNAMODB_MAX_OBJECT_BYTES,
    atomicCounter: true,
    nativeWait: false,
    ttl: true,
  };
  readonly model: ChannelModel;

  readonly #settings: ResolvedDynamoDbSettings;
  #client: DynamoDBClient | undefined;
  /** Single-attempt client for increments (see dynamodb-client.ts). */
  #counterClient: DynamoDBClient | undefined;
  #sdk: DynamoDbSdk | undefined;
  #clock: Clock = { now: () => Date.now() };
  #job = '';
  #closed = false;
  /** Keys this endpoint put or read, by chunk count (0: one item), so delete knows what to remove. */
  readonly #known = new Map<string, number>();
  readonly #counts: DynamoCounts = {
    puts: 0,
    chunkWrites: 0,
    gets: 0,
    misses: 0,
    polls: 0,
    queries: 0,
    deletes: 0,
    batchWrites: 0,
    increments: 0,
    throttled: 0,
    writeUnits: 0,
    readUnits: 0,
    bytesPut: 0,
    bytesGot: 0,
  };

  constructor(settings: ResolvedDynamoDbSettings) {
    this.#settings = settings;
    this.model = { ...DYNAMODB_MODEL_DEFAULTS, ...settings.model };
  }

  /** Checks that the table exists with the expected keys, creating it when `createTable` is set. */
  async open(ctx: ChannelOpenContext): Promise<void> {
    if (this.#closed) throw new FmiError('closed', '[dynamodb] open() after close()', { channel: 'dynamodb' });
    if (this.#client) throw new FmiError('invalid-argument', '[dynamodb] open() called twice', { channel: 'dynamodb' });
    this.#job = ctx.job;
    this.#clock = ctx.clock;
    const sdk = await dynamoDbSdk();
    const common = { region: this.#settings.region, endpoint: this.#settings.endpoint, credentials: this.#settings.credentials, maxSockets: 128 };
    const [client, counterClient] = await Promise.all([dynamoDbClient({ ...common, retries: true }), dynamoDbClient({ ...common, retries: false })]);
    const { table, tableField } = this.#settings;
    const describe = async () => {
      try {
        const out = await client.send(new sdk.DescribeTableCommand({ TableName: table }), { abortSignal: ctx.deadline.signal });
        return out.Table;
      } catch (error) {
        if (sdkErrorName(error) === 'ResourceNotFoundException') return undefined;
        if (!FmiError.is(error) && httpStatus(error) === undefined && !isAuthError(error) && !ctx.deadline.expired) {
          const where = this.#settings.endpoint ? `endpoint ${this.#settings.endpoint}` : `DynamoDB in ${this.#settings.region}`;
          throw new FmiError(
            'config',
            `[dynamodb] cannot reach ${where}: ${(error as Error).message} — check channels.dynamodb.endpoint / FMI_DYNAMODB_ENDPOINT and the network`,
            {
              field: 'channels.dynamodb.endpoint',
              channel: 'dynamodb',
              cause: error,
            },
          );
        }
        throw sdkError('dynamodb', `DescribeTable "${table}"`, error, ctx.deadline);
      }
    };
    let described = await describe();
    if (!described) {
      if (!this.#settings.createTable) {
        throw new FmiError(
          'config',
          `[dynamodb] table "${table}" not found — create it (schema in the @fmi/aws README) or set channels.dynamodb.createTable: true`,
          {
            field: tableField,
            channel: 'dynamodb',
          },
        );
      }
      await this.#createTable(client, sdk, ctx);
      described = await describe();
    }
    if (described?.TableStatus !== 'ACTIVE') {
      // Another rank (or `fmi`) may be creating it right now: wait, within the open deadline.
      described = await pollUntil(
        async () => {
          const t = await describe();
          return t?.TableStatus === 'ACTIVE' ? t : undefined;
        },
        ctx.deadline,
        { firstDelayMs: 50, maxDelayMs: 1_000 },
      );
    }
    const keys = Object.fromEntries((described.KeySchema ?? []).map((k) => [k.KeyType, k.AttributeName]));
    if (keys.HASH !== TABLE_KEY.partition || keys.RANGE !== TABLE_KEY.sort) {
      throw new FmiError(
        'config',
        `[dynamodb] table "${table}" has keys ${JSON.stringify(keys)}, but the channel needs partition key "pk" (string) and sort key "sk" (string) — use another table name or create it as the README shows`,
        { field: tableField, channel: 'dynamodb' },
      );
    }
    this.#sdk = sdk;
    this.#client = client;
    this.#counterClient = counterClient;
    ctx.logger.debug('[fmi] [dynamodb] opened', { table, endpoint: this.#settings.endpoint, rank: ctx.rank });
  }

  async #createTable(client: DynamoDBClient, sdk: DynamoDbSdk, ctx: ChannelOpenContext): Promise<void> {
    const table = this.#settings.table;
    try {
      await client.send(new sdk.CreateTableCommand(createTableInput(table)), { abortSignal: ctx.deadline.signal });
      ctx.logger.info(`[fmi] [dynamodb] created table "${table}" (on-demand)`);
    } catch (error) {
      // Several ranks open at once: one creates, the others see it in use and wait for ACTIVE.
      if (sdkErrorName(error) !== 'ResourceInUseException') throw sdkError('dynamodb', `CreateTable "${table}"`, error, ctx.deadline);
      return;
    }
    await pollUntil(
      async () => {
        const out = await client.send(new sdk.DescribeTableCommand({ TableName: table }), { abortSignal: ctx.deadline.signal });
        return out.Table?.TableStatus === 'ACTIVE' ? true : undefined;
      },
      ctx.deadline,
      { firstDelayMs: 50, maxDelayMs: 1_000 },
    );
    try {
      await client.send(new sdk.UpdateTimeToLiveCommand({ TableName: table, TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true } }), {
        abortSignal: ctx.deadline.signal,
      });
    } catch (error) {
      // dynalite and some other stand-ins do not implement TTL; on AWS this only fails when TTL is
      // already being enabled. Items carry `ttl` either way; enable it by hand if this warns.
      ctx.logger.warn(
        `[fmi] [dynamodb] could not enable TTL on "${table}" (${sdkErrorName(error) || String(error)}) — enable it on attribute "ttl" so leftovers expire`,
      );
    }
  }

  async put(key: string, data: Uint8Array, options: WaitOptions): Promise<void> {
    this.#ready();
    if (data.byteLength > DYNAMODB_MAX_OBJECT_BYTES) {
      throw new FmiError(
        'invalid-argument',
        `[dynamodb] put "${key}": ${data.byteLength} bytes is above the channel's limit of ${DYNAMODB_MAX_OBJECT_BYTES} bytes per object (64 MiB) — use the s3 channel for large data`,
        { field: 'data', channel: 'dynamodb' },
      );
    }
    if (key.includes(CHUNK_SEPARATOR)) throw new FmiError('invalid-argument', '[dynamodb] keys may not contain U+0001', { field: 'key', channel: 'dynamodb' });
    const ttl = this.#ttl();
    if (data.byteLength <= DYNAMODB_ITEM_PAYLOAD_BYTES) {
      await this.#putItem(key, { ...this.#itemKey(key), len: { N: String(data.byteLength) }, ...payload(data), [TTL_ATTRIBUTE]: ttl }, options.deadline);
      this.#known.set(key, 0);
    } else {
      // Chunks first, head last: a reader that finds the head (GetItem) finds every chunk (Query).
      const count = Math.ceil(data.byteLength / DYNAMODB_ITEM_PAYLOAD_BYTES);
      const chunks: WriteRequest[] = [];
      for (let i = 0; i < count; i++) {
        const part = data.subarray(i * DYNAMODB_ITEM_PAYLOAD_BYTES, Math.min(data.byteLength, (i + 1) * DYNAMODB_ITEM_PAYLOAD_BYTES));
        chunks.push({ PutRequest: { Item: { ...this.#itemKey(chunkKey(key, i)), v: { B: part }, [TTL_ATTRIBUTE]: ttl } } });
        this.#counts.writeUnits += Math.ceil((part.byteLength + 64) / 1024);
      }
      this.#counts.chunkWrites += count;
      await this.#batchWrite(chunks, options.deadline, `put "${key}"`);
      await this.#putItem(key, { ...this.#itemKey(key), n: { N: String(count) }, len: { N: String(data.byteLength) }, [TTL_ATTRIBUTE]: ttl }, options.deadline);
      this.#known.set(key, count);
    }
    this.#counts.bytesPut += data.byteLength;
  }

  async #putItem(key: string, Item: Item, deadline: Deadline): Promise<void> {
    const { client, sdk } = this.#ready();
    try {
      this.#counts.puts++;
      this.#counts.writeUnits += Math.ceil((itemBytes(Item) + 64) / 1024);
      await client.send(new sdk.PutItemCommand({ TableName: this.#settings.table, Item }), { abortSignal: deadline.signal });
    } catch (error) {
      throw sdkError('dynamodb', `put "${key}"`, error, deadline);
    }
  }

  async get(key: string, options: WaitOptions & { wait: boolean }): Promise<Uint8Array | undefined> {
    this.#ready();
    if (!options.wait) return this.#getOnce(key, options.deadline);
    return pollUntil(() => this.#getOnce(key, options.deadline), options.deadline, {
      firstDelayMs: this.#settings.pollFirstDelayMs,
      maxDelayMs: this.#settings.pollMaxDelayMs,
      onPoll: () => {
        this.#counts.polls++;
      },
    });
  }

  async #getOnce(key: string, deadline: Deadline): Promise<Uint8Array | undefined> {
    const { client, sdk } = this.#ready();
    let item: Item | undefined;
    try {
      this.#counts.gets++;
      const out = await client.send(new sdk.GetItemCommand({ TableName: this.#settings.table, Key: this.#itemKey(key), ConsistentRead: true }), {
        abortSignal: deadline.signal,
      });
      item = out.Item;
    } catch (error) {
      throw sdkError('dynamodb', `get "${key}"`, error, deadline);
    }
    if (!item || item.len?.N === undefined) {
      // Absent, or a counter (which has no object bytes).
      this.#counts.misses++;
      this.#counts.readUnits += 1;
      return undefined;
    }
    this.#counts.readUnits += Math.max(1, Math.ceil(itemBytes(item) / 4096));
    const len = Number(item.len.N);
    const chunks = item.n?.N !== undefined ? Number(item.n.N) : 0;
    this.#known.set(key, chunks);
    let bytes: Uint8Array;
    if (chunks === 0) {
      bytes = item.v?.B ? copyOf(item.v.B) : new Uint8Array(0);
    } else {
      bytes = await this.#readChunks(key, chunks, len, deadline);
    }
    if (bytes.byteLength !== len) {
      throw new FmiError(
        'protocol',
        `[dynamodb] object "${key}" has ${bytes.byteLength} bytes but its item says ${len} — it was changed or deleted while being read`,
        {
          channel: 'dynamodb',
        },
      );
    }
    this.#counts.bytesGot += len;
    return bytes;
  }

  async #readChunks(key: string, count: number, len: number, deadline: Deadline): Promise<Uint8Array> {
    const out = new Uint8Array(len);
    let offset = 0;
    let seen = 0;
    for await (const item of this.#query(`${key}${CHUNK_SEPARATOR}`, deadline, true)) {
      const part = item.v?.B ?? new Uint8Array(0);
      if (offset + part.byteLength > len) break;
      out.set(part, offset);
      offset += part.byteLength;
      seen++;
      this.#counts.readUnits += Math.ceil(part.byteLength / 4096);
    }
    if (seen !== count || offset !== len) {
      throw new FmiError(
        'protocol',
        `[dynamodb] object "${key}": found ${seen} of ${count} chunks (${offset} of ${len} bytes) — it was deleted while being read`,
        {
          channel: 'dynamodb',
        },
      );
    }
    return out;
  }

  /** Items of the job whose sort key starts with `prefix`, in sort-key order, following pages. */
  async *#query(prefix: string, deadline: Deadline, withValues: boolean): AsyncGenerator<Item> {
    const { client, sdk } = this.#ready();
    let start: Item | undefined;
    do {
      this.#counts.queries++;
      let out: QueryCommandOutput;
      try {
        out = await client.send(
          new sdk.QueryCommand({
            TableName: this.#settings.table,
            // begins_with on an empty string is rejected by DynamoDB: the whole job is just pk = :pk.
            KeyConditionExpression: prefix ? '#pk = :pk AND begins_with(#sk, :prefix)' : '#pk = :pk',
            ExpressionAttributeNames: { '#pk': TABLE_KEY.partition, '#sk': TABLE_KEY.sort },
            ExpressionAttributeValues: { ':pk': { S: this.#job }, ...(prefix ? { ':prefix': { S: prefix } } : {}) },
            ConsistentRead: true,
            ...(withValues ? {} : { ProjectionExpression: '#sk' }),
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
          { abortSignal: deadline.signal },
        );
      } catch (error) {
        throw sdkError('dynamodb', `query "${prefix}"`, error, deadline);
      }
      for (const item of out.Items ?? []) yield item;
      start = out.LastEvaluatedKey;
    } while (start);
  }

  async list(prefix: string, options: WaitOptions): Promise<string[]> {
    this.#ready();
    const keys: string[] = [];
    for await (const item of this.#query(prefix, options.deadline, false)) {
      const sk = item[TABLE_KEY.sort]?.S;
      if (sk !== undefined && !sk.includes(CHUNK_SEPARATOR)) keys.push(sk);
    }
    return keys.sort();
  }

  /**
   * Deletes with BatchWriteItem (25 per request, unprocessed items resent with backoff). An
   * object this endpoint put or read is known to be one item or N chunks; for a key it never saw,
   * the head is deleted alone with `ReturnValues: ALL_OLD`, which tells whether chunks follow.
   */
  async delete(keys: readonly string[], options: WaitOptions): Promise<void> {
    this.#ready();
    const unique = [...new Set(keys)];
    if (unique.length === 0) return;
    const requests: WriteRequest[] = [];
    const unknown: string[] = [];
    for (const key of unique) {
      const chunks = this.#known.get(key);
      if (chunks === undefined) {
        unknown.push(key);
        continue;
      }
      requests.push({ DeleteRequest: { Key: this.#itemKey(key) } });
      for (let i = 0; i < chunks; i++) requests.push({ DeleteRequest: { Key: this.#itemKey(chunkKey(key, i)) } });
    }
    await runLimited(unknown, PARALLEL_SINGLE, async (key) => {
      const chunks = await this.#deleteUnknown(key, options.deadline);
      for (let i = 0; i < chunks; i++) requests.push({ DeleteRequest: { Key: this.#itemKey(chunkKey(key, i)) } });
    });
    await this.#batchWrite(requests, options.deadline, `delete of ${unique.length} objects`);
    this.#counts.deletes += unique.length;
    for (const key of unique) this.#known.delete(key);
  }

  /** Deletes a head item and returns its chunk count. */
  async #deleteUnknown(key: string, deadline: Deadline): Promise<number> {
    const { client, sdk } = this.#ready();
    try {
      this.#counts.writeUnits += 1;
      const out = await client.send(new sdk.DeleteItemCommand({ TableName: this.#settings.table, Key: this.#itemKey(key), ReturnValues: 'ALL_OLD' }), {
        abortSignal: deadline.signal,
      });
      return out.Attributes?.n?.N !== undefined ? Number(out.Attributes.n.N) : 0;
    } catch (error) {
      throw sdkError('dynamodb', `delete "${key}"`, error, deadline);
    }
  }

  /** BatchWriteItem in batches of 25, `PARALLEL` at a time; unprocessed items go again after a backoff. */
  async #batchWrite(requests: WriteRequest[], deadline: Deadline, what: string): Promise<void> {
    if (requests.length === 0) return;
    const { client, sdk } = this.#ready();
    const batches: WriteRequest[][] = [];
    for (let i = 0; i < requests.length; i += BATCH_WRITE) batches.push(requests.slice(i, i + BATCH_WRITE));
    await runLimited(batches, PARALLEL, async (batch) => {
      let pending = batch;
      let delay = 20;
      for (;;) {
        let unprocessed: WriteRequest[];
        try {
          this.#counts.batchWrites++;
          const out = await client.send(new sdk.BatchWriteItemCommand({ RequestItems: { [this.#settings.table]: pending } }), { abortSignal: deadline.signal });
          unprocessed = out.UnprocessedItems?.[this.#settings.table] ?? [];
        } catch (error) {
          throw sdkError('dynamodb', what, error, deadline);
        }
        if (unprocessed.length === 0) return;
        // DynamoDB returns what it could not write under load: resend with backoff, within the deadline.
        this.#counts.throttled++;
        pending = unprocessed;
        await sleep(delay / 2 + Math.random() * (delay / 2), deadline);
        delay = Math.min(1_000, delay * 2);
      }
    });
  }

  /**
   * `UpdateItem ADD c :by` — atomic on the server — with `SET ttl = if_not_exists(...)` so the
   * counter expires like every other item. Sent once on a client without SDK retries: an ADD whose
   * answer was lost may or may not have counted, so only throttling (refused, certainly not
   * applied) is resent; anything else fails with a non-retryable `channel` error.
   */
  async increment(key: string, by: number, options: WaitOptions): Promise<number> {
    const { sdk } = this.#ready();
    const client = this.#counterClient as DynamoDBClient;
    if (!Number.isSafeInteger(by))
      throw new FmiError('invalid-argument', `[dynamodb] increment "${key}": by must be a safe integer, got ${by}`, { field: 'by', channel: 'dynamodb' });
    let delay = 10;
    for (;;) {
      try {
        this.#counts.increments++;
        this.#counts.writeUnits += 1;
        const out = await client.send(
          new sdk.UpdateItemCommand({
            TableName: this.#settings.table,
            Key: this.#itemKey(key),
            UpdateExpression: 'ADD #c :by SET #ttl = if_not_exists(#ttl, :ttl)',
            ExpressionAttributeNames: { '#c': 'c', '#ttl': TTL_ATTRIBUTE },
            ExpressionAttributeValues: { ':by': { N: String(by) }, ':ttl': this.#ttl() },
            ReturnValues: 'UPDATED_NEW',
          }),
          { abortSignal: options.deadline.signal },
        );
        this.#known.set(key, 0);
        const value = out.Attributes?.c?.N;
        if (value === undefined) throw new FmiError('protocol', `[dynamodb] increment "${key}" returned no value`, { channel: 'dynamodb' });
        return Number(value);
      } catch (error) {
        if (FmiError.is(error)) throw error;
        if (isThrottle(error) && !options.deadline.expired) {
          this.#counts.throttled++;
          await sleep(delay / 2 + Math.random() * (delay / 2), options.deadline);
          delay = Math.min(500, delay * 2);
          continue;
        }
        const e = sdkError('dynamodb', `increment "${key}"`, error, options.deadline);
        if (e.kind !== 'channel') throw e;
        throw new FmiError('channel', `${e.message} (not retried: the increment may have been applied)`, {
          channel: 'dynamodb',
          cause: error,
          retryable: false,
        });
      }
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#client = undefined;
    this.#counterClient = undefined;
    this.#known.clear();
  }

  stats(): Record<string, unknown> {
    const c = this.#counts;
    return {
      ...c,
      requests: { put: c.puts + c.batchWrites, get: c.gets, list: c.queries, delete: c.deletes, increment: c.increments },
    };
  }

  #ttl(): AttributeValue {
    return { N: String(Math.floor(this.#clock.now() / 1000) + this.#settings.ttlSeconds) };
  }

  #itemKey(sk: string): Item {
    return { [TABLE_KEY.partition]: { S: this.#job }, [TABLE_KEY.sort]: { S: sk } };
  }

  #ready(): { client: DynamoDBClient; sdk: DynamoDbSdk } {
    if (this.#closed) throw new FmiError('closed', '[dynamodb] the channel is closed', { channel: 'dynamodb' });
    if (!this.#client || !this.#sdk) throw new FmiError('closed', '[dynamodb] the channel is not open — call open() first', { channel: 'dynamodb' });
    return { client: this.#client, sdk: this.#sdk };
  }
}

/** Sort key of chunk `i`: zero-padded so chunks sort in order. */
function chunkKey(key: string, i: number): string {
  return `${key}${CHUNK_SEPARATOR}${i.toString().padStart(5, '0')}`;
}

/** An empty binary attribute is omitted (`len` 0 says it is an empty object). */
function payload(data: Uint8Array): Item {
  return data.byteLength > 0 ? { v: { B: data } } : {};
}

function copyOf(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/** Approximate billed size of an item: names plus values. */
function itemBytes(item: Item): number {
  let n = 0;
  for (const [name, value] of Object.entries(item)) {
    n += name.length;
    if (value.B) n += value.B.byteLength;
    else if (value.S) n += Buffer.byteLength(value.S);
    else if (value.N) n += value.N.length;
  }
  return n;
}

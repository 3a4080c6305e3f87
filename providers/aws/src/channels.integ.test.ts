import { randomBytes, randomUUID } from 'node:crypto';
import { CreateTableCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Deadline, FmiError } from '@fmi/core';
import { startAwsTestServers } from '@fmi/tools/aws-test-servers';
import { afterAll, describe, expect, it } from 'vitest';
import { DYNAMODB_ITEM_PAYLOAD_BYTES, DynamoDbChannel } from './dynamodb/dynamodb-channel.js';
import { resolveDynamoDbSettings } from './dynamodb/dynamodb-settings.js';
import { S3Channel } from './s3/s3-channel.js';
import { resolveS3Settings } from './s3/s3-settings.js';

const servers = await startAwsTestServers({ buckets: ['fmi-integ'], dynalite: true });
const { s3rver, dynalite, s3Admin: admin, dynamoAdmin: ddb } = servers;
afterAll(() => servers.stop());

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const d = (ms = 10_000) => ({ deadline: new Deadline(ms, 'test op') });
const ctx = (job: string, rank = 0) => ({ rank, size: 2, job, logger: quiet, clock: { now: () => Date.now() }, deadline: new Deadline(10_000, 'open') });
const job = () => `t-${randomUUID()}`;

async function s3Keys(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const out = await admin.send(new ListObjectsV2Command({ Bucket: 'fmi-integ', Prefix: prefix, ContinuationToken: token }));
    keys.push(...(out.Contents ?? []).map((o) => o.Key as string));
    token = out.NextContinuationToken;
  } while (token);
  return keys;
}

/** Every item of a job, following Query pages (1 MB each). */
async function items(table: string, pk: string) {
  const all: Array<Record<string, { S?: string; N?: string; B?: Uint8Array }>> = [];
  let start: Record<string, never> | undefined;
  do {
    const out = await ddb.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: pk } },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    all.push(...((out.Items ?? []) as typeof all));
    start = out.LastEvaluatedKey as typeof start;
  } while (start);
  return all;
}

function s3Channel(overrides: Record<string, unknown> = {}): S3Channel {
  const settings = resolveS3Settings({ options: { bucket: 'fmi-integ', endpoint: s3rver.endpoint, credentials: s3rver.credentials, ...overrides }, env: {} });
  return new S3Channel(settings!);
}

function dynamoChannel(table: string, overrides: Record<string, unknown> = {}): DynamoDbChannel {
  const settings = resolveDynamoDbSettings({
    options: { table, endpoint: dynalite.endpoint, credentials: dynalite.credentials, createTable: true, ...overrides },
    env: {},
  });
  return new DynamoDbChannel(settings!);
}

async function failure(p: Promise<unknown>): Promise<FmiError> {
  const e = await p.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(FmiError.is(e), String(e)).toBe(true);
  return e as FmiError;
}

describe('s3 channel against s3rver', () => {
  it('open() on a missing bucket fails with config naming the bucket setting', async () => {
    const ch = s3Channel({ bucket: 'no-such-bucket' });
    const e = await failure(ch.open(ctx(job())));
    expect([e.kind, e.field, e.message]).toEqual([
      'config',
      'aws.s3.bucket',
      '[fmi] [s3] bucket "no-such-bucket" not found — create it or set channels.s3.bucket',
    ]);
  });

  it('open() against nothing listening fails with config naming the endpoint', async () => {
    const settings = resolveS3Settings({ options: { bucket: 'fmi-integ', endpoint: 'http://127.0.0.1:9', credentials: s3rver.credentials }, env: {} });
    const e = await failure(new S3Channel(settings!).open(ctx(job())));
    expect([e.kind, e.field]).toEqual(['config', 'channels.s3.endpoint']);
  });

  it('keys live under `${prefix}${job}/`; a large object goes up in parallel multipart parts and comes back intact', async () => {
    const j = job();
    const ch = s3Channel({ prefix: 'custom/', multipartThresholdBytes: 5 * 1024 * 1024, partSizeBytes: 5 * 1024 * 1024 });
    await ch.open(ctx(j));
    const big = randomBytes(12 * 1024 * 1024 + 5);
    await ch.put('big', big, d());
    await ch.put('small', Buffer.from('hi'), d());
    expect((await s3Keys(`custom/${j}/`)).sort()).toEqual([`custom/${j}/big`, `custom/${j}/small`]);
    const got = await ch.get('big', { ...d(), wait: false });
    expect(Buffer.from(got!).equals(big)).toBe(true);
    expect(ch.stats()).toMatchObject({ multipartUploads: 1, parts: 3 });
    await ch.delete(['big', 'small'], d());
    expect(await s3Keys(`custom/${j}/`)).toEqual([]);
    await ch.close();
  });

  it('lists and deletes 1,100 objects: ListObjectsV2 pages and DeleteObjects batches of at most 1,000', async () => {
    const j = job();
    const ch = s3Channel();
    await ch.open(ctx(j));
    const keys = Array.from({ length: 1100 }, (_, i) => `many/${String(i).padStart(4, '0')}`);
    for (let i = 0; i < keys.length; i += 100) await Promise.all(keys.slice(i, i + 100).map((k) => ch.put(k, new Uint8Array([1]), d())));
    const before = ch.stats() as { lists: number; deleteRequests: number; deleteFallbacks: number };
    expect(await ch.list('many/', d(30_000))).toEqual(keys);
    const afterList = ch.stats() as typeof before;
    expect(afterList.lists - before.lists).toBe(2);
    await ch.delete([...keys, 'never-existed'], d(30_000));
    const afterDelete = ch.stats() as typeof before;
    // 2 batches, plus one request per key if the server refused a batch (the documented fallback).
    expect(afterDelete.deleteRequests - before.deleteRequests).toBe(2 + afterDelete.deleteFallbacks);
    expect(await s3Keys(`fmi/${j}/`)).toEqual([]);
    await ch.close();
  });

  it('a waiting get polls with backoff until the object lands, counting every request', async () => {
    const j = job();
    const [a, b] = [s3Channel(), s3Channel()];
    await a.open(ctx(j, 0));
    await b.open(ctx(j, 1));
    const pending = b.get('late', { ...d(), wait: true });
    await new Promise((r) => setTimeout(r, 400));
    await a.put('late', Buffer.from('now'), d());
    expect(Buffer.from((await pending)!).toString()).toBe('now');
    const s = b.stats() as { gets: number; misses: number; polls: number };
    expect(s.misses).toBeGreaterThan(0);
    expect(s.gets).toBe(s.misses + 1);
    expect(s.polls).toBe(s.misses);
    // Backoff: far fewer polls than a fixed 5 ms loop would make in 400 ms.
    expect(s.polls).toBeLessThan(40);
    await a.delete(['late'], d());
    await Promise.all([a.close(), b.close()]);
  });

  it('operations after close() fail with closed', async () => {
    const ch = s3Channel();
    await ch.open(ctx(job()));
    await ch.close();
    const e = await failure(ch.put('x', new Uint8Array(1), d()));
    expect(e.kind).toBe('closed');
  });
});

describe('dynamodb channel against dynalite', () => {
  it('a missing table without createTable fails open() with config naming the table setting', async () => {
    const e = await failure(dynamoChannel('fmi-missing-table', { createTable: false }).open(ctx(job())));
    expect([e.kind, e.field]).toEqual(['config', 'aws.dynamodb.table']);
    expect(e.message).toContain('table "fmi-missing-table" not found');
  });

  it('a table with other keys fails open() with config', async () => {
    await ddb.send(
      new CreateTableCommand({
        TableName: 'fmi-wrong-keys',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const e = await failure(dynamoChannel('fmi-wrong-keys').open(ctx(job())));
    expect([e.kind, e.field]).toEqual(['config', 'aws.dynamodb.table']);
  });

  it('creates the table on demand when several ranks open at once', async () => {
    const j = job();
    const chans = Array.from({ length: 4 }, () => dynamoChannel('fmi-created'));
    await Promise.all(chans.map((c, i) => c.open(ctx(j, i))));
    await chans[0].put('k', Buffer.from('v'), d());
    expect(Buffer.from((await chans[3].get('k', { ...d(), wait: false }))!).toString()).toBe('v');
    await chans[0].delete(['k'], d());
    await Promise.all(chans.map((c) => c.close()));
  });

  it('chunks objects above one item, reads them back, and a peer that never saw the object deletes every chunk', async () => {
    const j = job();
    const [a, b, c] = [dynamoChannel('fmi-integ'), dynamoChannel('fmi-integ'), dynamoChannel('fmi-integ')];
    await Promise.all([a.open(ctx(j, 0)), b.open(ctx(j, 1)), c.open(ctx(j, 1))]);
    const big = randomBytes(1024 * 1024 + 7);
    await a.put('big', big, d());
    await a.put('empty', new Uint8Array(0), d());
    const chunks = Math.ceil(big.byteLength / DYNAMODB_ITEM_PAYLOAD_BYTES);
    expect((await items('fmi-integ', j)).length).toBe(chunks + 2);
    expect(Buffer.from((await b.get('big', { ...d(), wait: false }))!).equals(big)).toBe(true);
    expect((await b.get('empty', { ...d(), wait: false }))?.byteLength).toBe(0);
    expect(await b.list('', d())).toEqual(['big', 'empty']);
    await c.delete(['big', 'empty', 'absent'], d());
    expect(await items('fmi-integ', j)).toEqual([]);
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  it('puts a ttl attribute on every item, counters included', async () => {
    const j = job();
    const ch = dynamoChannel('fmi-integ', { ttlSeconds: 600 });
    await ch.open(ctx(j));
    await ch.put('obj', Buffer.from('x'), d());
    await ch.put('chunked', randomBytes(DYNAMODB_ITEM_PAYLOAD_BYTES + 1), d());
    expect(await ch.increment('count', 5, d())).toBe(5);
    expect(await ch.increment('count', -2, d())).toBe(3);
    const now = Date.now() / 1000;
    const all = await items('fmi-integ', j);
    expect(all.length).toBe(5);
    for (const item of all) {
      const ttl = Number(item.ttl?.N);
      expect(ttl).toBeGreaterThan(now + 590);
      expect(ttl).toBeLessThanOrEqual(now + 601);
    }
    await ch.delete(['obj', 'chunked', 'count'], d());
    expect(await items('fmi-integ', j)).toEqual([]);
    await ch.close();
  });

  it('a waiting get fails with timeout at its deadline when nothing lands', async () => {
    const ch = dynamoChannel('fmi-integ');
    await ch.open(ctx(job()));
    const t0 = Date.now();
    const e = await failure(ch.get('never', { deadline: new Deadline(300, 'wait'), wait: true }));
    expect(e.kind).toBe('timeout');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect((ch.stats() as { polls: number }).polls).toBeGreaterThan(0);
    await ch.close();
  });
});

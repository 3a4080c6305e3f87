import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { Deadline, FmiError, type Logger } from '@fmi/core';
import { startRedisServer } from '@fmi/tools/redis-server';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { RedisChannel, type RedisChannelOptions } from './redis-channel.js';

declare module 'vitest' {
  interface ProvidedContext {
    redisUrl: string;
  }
}

const url = inject('redisUrl');

/** A logger that keeps what it is told, so tests can check what a user would see. */
function recordingLogger(): Logger & { lines: Array<{ level: string; message: string }> } {
  const lines: Array<{ level: string; message: string }> = [];
  const log = (level: string) => (message: string) => {
    lines.push({ level, message });
  };
  return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

const opened: RedisChannel[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((channel) => channel.close()));
});

function newJob(): string {
  return `t-${randomUUID()}`;
}

function deadline(ms = 10_000, signal?: AbortSignal): Deadline {
  return new Deadline(ms, 'test operation', signal);
}

async function openChannel(job: string, rank: number, options: Partial<RedisChannelOptions> = {}, size = 2): Promise<RedisChannel> {
  const channel = new RedisChannel({ url, ...options });
  opened.push(channel);
  await channel.open({ rank, size, job, logger: recordingLogger(), clock: { now: () => Date.now() }, deadline: deadline() });
  return channel;
}

const admin = createClient({ url, RESP: 3 });
admin.on('error', () => {});
beforeAll(async () => {
  await admin.connect();
});
afterAll(async () => {
  await admin.close();
});

/** Every key under a job's prefix, seen from outside the channel. */
async function keysOfJob(job: string, keyPrefix = 'fmi:'): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of admin.scanIterator({ MATCH: `${keyPrefix}${job}/*`, COUNT: 1000 })) keys.push(...page.map(String));
  return keys.sort();
}

/** The CLIENT LIST line of the connection a channel endpoint uses (named `fmi/<job>/<rank>`). */
async function clientInfo(job: string, rank: number): Promise<Record<string, string> | undefined> {
  const text = String(await admin.sendCommand(['CLIENT', 'LIST']));
  const line = text.split('\n').find((l) => l.includes(` name=fmi/${job}/${rank} `));
  if (!line) return undefined;
  return Object.fromEntries(
    line
      .trim()
      .split(' ')
      .map((field) => field.split('=', 2) as [string, string]),
  );
}

async function expectFmiError(promise: Promise<unknown>, kind: string): Promise<FmiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(FmiError.is(error), `expected an FmiError of kind ${kind}, got ${String(error)}`).toBe(true);
  expect((error as FmiError).kind).toBe(kind);
  return error as FmiError;
}

describe('RedisChannel: objects', () => {
  it('puts and gets bytes exactly, including empty and offset views, and returns undefined for an absent key', async () => {
    const job = newJob();
    const a = await openChannel(job, 0);
    const b = await openChannel(job, 1);
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const big = randomBytes(1024 * 1024 + 7);
    const backing = Uint8Array.from({ length: 100 }, (_, i) => i);
    const view = backing.subarray(10, 20);

    await a.put('all-bytes', all, { deadline: deadline() });
    await a.put('big', big, { deadline: deadline() });
    await a.put('empty', new Uint8Array(0), { deadline: deadline() });
    await a.put('view', view, { deadline: deadline() });

    expect(Buffer.from((await b.get('all-bytes', { wait: false, deadline: deadline() }))!)).toEqual(Buffer.from(all));
    expect(Buffer.from((await b.get('big', { wait: false, deadline: deadline() }))!).equals(big)).toBe(true);
    const empty = await b.get('empty', { wait: false, deadline: deadline() });
    expect(empty).toBeDefined();
    expect(empty!.byteLength).toBe(0);
    expect([...(await b.get('view', { wait: false, deadline: deadline() }))!]).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(await b.get('absent', { wait: false, deadline: deadline() })).toBeUndefined();
  });

  it('keeps jobs apart: the same relative key in two jobs holds two objects', async () => {
    const one = await openChannel(newJob(), 0);
    const two = await openChannel(newJob(), 0);
    await one.put('k', Buffer.from('one'), { deadline: deadline() });
    await two.put('k', Buffer.from('two'), { deadline: deadline() });
    expect(Buffer.from((await one.get('k', { wait: false, deadline: deadline() }))!).toString()).toBe('one');
    expect(Buffer.from((await two.get('k', { wait: false, deadline: deadline() }))!).toString()).toBe('two');
    expect(await one.list('', { deadline: deadline() })).toEqual(['k']);
  });

  it('lists relative keys under a prefix, literally (glob characters do not match other keys)', async () => {
    const job = newJob();
    const channel = await openChannel(job, 0);
    for (const key of ['c1/a', 'c1/b', 'c2/a', 'c*/x', 'c?/y']) await channel.put(key, Buffer.from(key), { deadline: deadline() });
    expect(await channel.list('c1/', { deadline: deadline() })).toEqual(['c1/a', 'c1/b']);
    expect(await channel.list('c*', { deadline: deadline() })).toEqual(['c*/x']);
    expect(await channel.list('c?', { deadline: deadline() })).toEqual(['c?/y']);
    expect(await channel.list('', { deadline: deadline() })).toEqual(['c*/x', 'c1/a', 'c1/b', 'c2/a', 'c?/y']);
    expect(await channel.list('nothing', { deadline: deadline() })).toEqual([]);
  });

  it('deletes many keys in batches, ignores absent ones, and leaves nothing of the job behind', async () => {
    const job = newJob();
    const channel = await openChannel(job, 0);
    const keys = Array.from({ length: 1200 }, (_, i) => `obj/${i}`);
    await Promise.all(keys.map((key) => channel.put(key, Buffer.from([1]), { deadline: deadline() })));
    await channel.increment('counter', 1, { deadline: deadline() });
    expect((await keysOfJob(job)).length).toBe(1201);

    await channel.delete([...keys, 'counter', 'never-existed'], { deadline: deadline() });
    expect(await channel.list('', { deadline: deadline() })).toEqual([]);
    await channel.close();
    expect(await keysOfJob(job)).toEqual([]);
  });

  it('increments atomically across ranks and returns the new value', async () => {
    const job = newJob();
    const ranks = await Promise.all(Array.from({ length: 8 }, (_, rank) => openChannel(job, rank, {}, 8)));
    const results = await Promise.all(ranks.flatMap((channel) => Array.from({ length: 25 }, () => channel.increment('arrivals', 1, { deadline: deadline() }))));
    // Every intermediate value appears exactly once: no increment was lost or doubled.
    expect(results.sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(await ranks[0]!.increment('arrivals', -50, { deadline: deadline() })).toBe(150);
    await expectFmiError(ranks[0]!.increment('arrivals', 0.5, { deadline: deadline() }), 'invalid-argument');
  });

  it('sets a TTL on every key it writes (objects and counters)', async () => {
    const job = newJob();
    const channel = await openChannel(job, 0, { ttlSeconds: 120 });
    await channel.put('obj', Buffer.from('x'), { deadline: deadline() });
    await channel.put('large', randomBytes(200 * 1024), { deadline: deadline() });
    await channel.increment('count', 3, { deadline: deadline() });
    await channel.increment('count', 3, { deadline: deadline() });
    const keys = await keysOfJob(job);
    expect(keys).toEqual([`fmi:${job}/count`, `fmi:${job}/large`, `fmi:${job}/obj`]);
    for (const key of keys) {
      const ttl = await admin.ttl(key);
      expect(ttl, key).toBeGreaterThan(0);
      expect(ttl, key).toBeLessThanOrEqual(120);
    }
  });

  it('uses the configured key prefix', async () => {
    const job = newJob();
    const channel = await openChannel(job, 0, { keyPrefix: 'other-app:' });
    await channel.put('k', Buffer.from('v'), { deadline: deadline() });
    expect(await keysOfJob(job, 'other-app:')).toEqual([`other-app:${job}/k`]);
    expect(await keysOfJob(job)).toEqual([]);
  });

  it("rejects a value above Redis's 512 MiB limit with a clear error, before sending anything", async () => {
    const job = newJob();
    const channel = await openChannel(job, 0);
    expect(channel.capabilities.maxPayloadBytes).toBe(512 * 1024 * 1024);
    // calloc'd and never written: the pages are not touched, so this costs no real memory.
    const tooBig = new Uint8Array(channel.capabilities.maxPayloadBytes + 1);
    const error = await expectFmiError(channel.put('huge', tooBig, { deadline: deadline() }), 'invalid-argument');
    expect(error.message).toMatch(/^\[fmi\] \[redis\] put "huge": .*512/);
    expect(await keysOfJob(job)).toEqual([]);
  });
});

describe('RedisChannel: waits', () => {
  it('a waiting get returns when the put lands 1.3 s later, and its connection sends nothing while it waits', async ({ annotate }) => {
    const job = newJob();
    const writer = await openChannel(job, 0);
    const reader = await openChannel(job, 1);

    // Baseline in the same run: one plain GET round trip.
    await writer.put('baseline', Buffer.from('x'), { deadline: deadline() });
    const g0 = performance.now();
    for (let i = 0; i < 20; i++) await reader.get('baseline', { wait: false, deadline: deadline() });
    const getRoundTrip = (performance.now() - g0) / 20;

    const waited = reader.get('late', { wait: true, deadline: deadline(10_000) });
    // Long enough for CLIENT LIST's whole-second `idle` to show that the waiting connection is
    // silent: a polling wait would have sent commands in between.
    await delay(1_300);
    const info = await clientInfo(job, 1);
    expect(info?.sub).toBe('1');
    expect(Number(info?.idle)).toBeGreaterThanOrEqual(1);

    const p0 = performance.now();
    await writer.put('late', Buffer.from('landed'), { deadline: deadline() });
    const got = await waited;
    const wake = performance.now() - p0;
    expect(Buffer.from(got!).toString()).toBe('landed');
    expect(reader.stats().inlineWakeups).toBe(1);
    await annotate(
      `put -> waiting get resolved in ${wake.toFixed(2)} ms; plain GET round trip ${getRoundTrip.toFixed(2)} ms (ratio ${(wake / getRoundTrip).toFixed(2)})`,
    );
  });

  it('wakes a waiting get for values above the inline size too (the waiter GETs the value)', async () => {
    const job = newJob();
    const writer = await openChannel(job, 0);
    const reader = await openChannel(job, 1);
    const big = randomBytes(3 * 1024 * 1024);
    const waited = reader.get('big', { wait: true, deadline: deadline() });
    await delay(50);
    await writer.put('big', big, { deadline: deadline() });
    expect(Buffer.from((await waited)!).equals(big)).toBe(true);
  });

  it('wakes a waiting get for an empty object (the empty notification means "GET it")', async () => {
    const job = newJob();
    const writer = await openChannel(job, 0);
    const reader = await openChannel(job, 1);
    const waited = reader.get('empty', { wait: true, deadline: deadline() });
    await delay(50);
    await writer.put('empty', new Uint8Array(0), { deadline: deadline() });
    const got = await waited;
    expect(got).toBeDefined();
    expect(got!.byteLength).toBe(0);
    expect(reader.stats().inlineWakeups).toBe(0);
  });

  it('returns at once when the object is already there', async () => {
    const job = newJob();
    const channel = await openChannel(job, 0);
    await channel.put('here', Buffer.from('yes'), { deadline: deadline() });
    expect(Buffer.from((await channel.get('here', { wait: true, deadline: deadline(2_000) }))!).toString()).toBe('yes');
  });

  it("fails with 'timeout' near the deadline when nothing is put", async () => {
    const channel = await openChannel(newJob(), 0);
    const start = Date.now();
    const error = await expectFmiError(channel.get('never', { wait: true, deadline: deadline(400) }), 'timeout');
    const elapsed = Date.now() - start;
    expect(elapsed).toBeGreaterThanOrEqual(390);
    expect(elapsed).toBeLessThan(5_000);
    expect(error.message).toMatch(/timed out after 400 ms/);
    expect(channel.stats().pendingWaits).toBe(0);
  });

  it("fails with 'aborted' when the caller's signal aborts the wait", async () => {
    const channel = await openChannel(newJob(), 0);
    const controller = new AbortController();
    const waited = channel.get('never', { wait: true, deadline: deadline(10_000, controller.signal) });
    setTimeout(() => controller.abort(new Error('user gave up')), 50);
    await expectFmiError(waited, 'aborted');
  });

  it('serves 64 concurrent waits on one endpoint, inline and large values, put in random order', async () => {
    const job = newJob();
    const reader = await openChannel(job, 0, {}, 9);
    const writers = await Promise.all(Array.from({ length: 8 }, (_, i) => openChannel(job, i + 1, {}, 9)));
    const values = Array.from({ length: 64 }, (_, i) => (i % 8 === 0 ? randomBytes(100 * 1024) : randomBytes(1 + i)));
    const waits = values.map((_, i) => reader.get(`obj/${i}`, { wait: true, deadline: deadline(20_000) }));
    await delay(20);
    const order = values.map((_, i) => i).sort(() => Math.random() - 0.5);
    await Promise.all(order.map((i) => writers[i % 8]!.put(`obj/${i}`, values[i]!, { deadline: deadline() })));
    const got = await Promise.all(waits);
    for (const [i, value] of got.entries()) expect(Buffer.from(value!).equals(values[i]!), `obj/${i}`).toBe(true);
    expect(reader.stats().pendingWaits).toBe(0);
  });

  it('runs 64 ranks in one process: each puts one object and waits for all 64', async () => {
    const job = newJob();
    const size = 64;
    const ranks = await Promise.all(Array.from({ length: size }, (_, rank) => openChannel(job, rank, {}, size)));
    const results = await Promise.all(
      ranks.map(async (channel, rank) => {
        const waits = ranks.map((_, peer) => channel.get(`from/${peer}`, { wait: true, deadline: deadline(30_000) }));
        await channel.put(`from/${rank}`, Buffer.from(`rank ${rank}`), { deadline: deadline() });
        return Promise.all(waits);
      }),
    );
    for (const got of results) expect(got.map((v) => Buffer.from(v!).toString())).toEqual(ranks.map((_, peer) => `rank ${peer}`));
  });

  it('gives two waiters of the same key the value, each in its own buffer', async () => {
    const job = newJob();
    const writer = await openChannel(job, 0);
    const reader = await openChannel(job, 1);
    const first = reader.get('shared', { wait: true, deadline: deadline() });
    const second = reader.get('shared', { wait: true, deadline: deadline() });
    await delay(20);
    await writer.put('shared', Buffer.from('both'), { deadline: deadline() });
    const [x, y] = await Promise.all([first, second]);
    expect(Buffer.from(x!).toString()).toBe('both');
    expect(Buffer.from(y!).toString()).toBe('both');
    x![0] = 0;
    expect(Buffer.from(y!).toString()).toBe('both');
  });

  it('leaves no subscription behind once waits are over', async () => {
    const job = newJob();
    const writer = await openChannel(job, 0);
    const reader = await openChannel(job, 1);
    const waits = [0, 1, 2].map((i) => reader.get(`k${i}`, { wait: true, deadline: deadline() }));
    await delay(20);
    await Promise.all([0, 1, 2].map((i) => writer.put(`k${i}`, Buffer.from([i]), { deadline: deadline() })));
    await Promise.all(waits);
    await expectFmiError(reader.get('gone', { wait: true, deadline: deadline(100) }), 'timeout');
    // One more command on the reader's connection: it runs after the UNSUBSCRIBEs it queued.
    await reader.get('k0', { wait: false, deadline: deadline() });
    expect(await admin.pubSubChannels(`fmi:${job}/*`)).toEqual([]);
    expect((await clientInfo(job, 1))?.sub).toBe('0');
  });

  it("fails pending waits with 'closed' when the channel closes", async () => {
    const channel = await openChannel(newJob(), 0);
    const waited = channel.get('never', { wait: true, deadline: deadline(10_000) });
    await delay(20);
    await channel.close();
    await expectFmiError(waited, 'closed');
    await expectFmiError(channel.put('x', Buffer.from('x'), { deadline: deadline() }), 'closed');
  });
});

describe('RedisChannel: connection loss', () => {
  it('recovers when its connection is killed (CLIENT KILL) while waiting and while putting', async () => {
    const job = newJob();
    const writer = await openChannel(job, 0);
    const reader = await openChannel(job, 1);
    const waited = reader.get('after-kill', { wait: true, deadline: deadline(10_000) });
    await delay(50);

    // Kill the waiter's connection, then put at once: the notification most likely goes to nobody
    // (the waiter is reconnecting), so the waiter must re-check after it reconnects.
    const readerId = (await clientInfo(job, 1))!.id!;
    await admin.sendCommand(['CLIENT', 'KILL', 'ID', readerId]);
    await writer.put('after-kill', Buffer.from('still here'), { deadline: deadline() });
    expect(Buffer.from((await waited)!).toString()).toBe('still here');
    // node-redis restores the subscription before it reports `ready`, so the notification can reach
    // the waiter a moment before the reconnect is counted: wait for the count, do not race it.
    await vi.waitFor(() => expect(reader.stats().reconnects).toBeGreaterThanOrEqual(1), { timeout: 5_000 });

    // Kill the writer's connection: its next put fails on the dead socket and is retried.
    const writerId = (await clientInfo(job, 0))!.id!;
    await admin.sendCommand(['CLIENT', 'KILL', 'ID', writerId]);
    await writer.put('after-writer-kill', Buffer.from('ok'), { deadline: deadline() });
    expect(Buffer.from((await reader.get('after-writer-kill', { wait: true, deadline: deadline() }))!).toString()).toBe('ok');
    await vi.waitFor(() => expect(writer.stats().reconnects).toBeGreaterThanOrEqual(1), { timeout: 5_000 });
  });

  it("fails with 'channel' within the deadline when the server is gone, and recovers when it is back", async () => {
    const server = await startRedisServer();
    try {
      const job = newJob();
      const logger = recordingLogger();
      const channel = new RedisChannel({ url: server.url });
      opened.push(channel);
      await channel.open({ rank: 0, size: 1, job, logger, clock: { now: () => Date.now() }, deadline: deadline() });
      await channel.put('before', Buffer.from('x'), { deadline: deadline() });
      const waited = channel.get('never', { wait: true, deadline: deadline(1_500) });

      await server.stop();
      const start = Date.now();
      const putError = await expectFmiError(channel.put('during', Buffer.from('x'), { deadline: deadline(1_000) }), 'channel');
      const elapsed = Date.now() - start;
      expect(elapsed).toBeLessThan(4_000);
      expect(putError.message).toMatch(/unreachable/);
      expect(putError.cause).toBeDefined();
      await expectFmiError(waited, 'channel');
      expect(logger.lines.some((line) => line.level === 'warn' && /connection lost/.test(line.message))).toBe(true);

      // Same port, fresh server: the channel reconnects by itself and works again.
      const again = await startRedisServer({ port: server.port });
      try {
        await channel.put('after', Buffer.from('back'), { deadline: deadline(10_000) });
        expect(Buffer.from((await channel.get('after', { wait: true, deadline: deadline() }))!).toString()).toBe('back');
      } finally {
        await channel.close();
        await again.stop();
      }
    } finally {
      await server.stop();
    }
  });
});

describe('RedisChannel: open', () => {
  it("fails with 'config' naming channels.redis.url when nothing listens at the URL", async () => {
    const server = await startRedisServer();
    await server.stop();
    const channel = new RedisChannel({ url: server.url });
    const error = await expectFmiError(
      channel.open({ rank: 0, size: 1, job: newJob(), logger: recordingLogger(), clock: { now: () => Date.now() }, deadline: deadline(3_000) }),
      'config',
    );
    expect(error.field).toBe('channels.redis.url');
    expect(error.message).toMatch(/channels\.redis\.url: cannot connect to redis:\/\/127\.0\.0\.1:\d+/);
  });

  it("fails with 'config' for a URL that is not a Redis URL, without connecting", async () => {
    const channel = new RedisChannel({ url: 'http://127.0.0.1:6379', urlField: 'FMI_REDIS_URL' });
    const error = await expectFmiError(
      channel.open({ rank: 0, size: 1, job: newJob(), logger: recordingLogger(), clock: { now: () => Date.now() }, deadline: deadline() }),
      'config',
    );
    expect(error.field).toBe('FMI_REDIS_URL');
  });

  it("fails with 'auth' when the server refuses the password, without showing it", async () => {
    const server = await startRedisServer({ args: ['--requirepass', 'right-secret'] });
    try {
      const wrong = new RedisChannel({ url: `redis://:wrong-secret@127.0.0.1:${server.port}` });
      const error = await expectFmiError(
        wrong.open({ rank: 0, size: 1, job: newJob(), logger: recordingLogger(), clock: { now: () => Date.now() }, deadline: deadline() }),
        'auth',
      );
      expect(error.message).not.toMatch(/wrong-secret/);
      const right = new RedisChannel({ url: `redis://:right-secret@127.0.0.1:${server.port}` });
      opened.push(right);
      await right.open({ rank: 0, size: 1, job: newJob(), logger: recordingLogger(), clock: { now: () => Date.now() }, deadline: deadline() });
      await right.put('k', Buffer.from('v'), { deadline: deadline() });
      await right.close();
    } finally {
      await server.stop();
    }
  });

  it('declares its capabilities and model', async () => {
    const channel = new RedisChannel({ url });
    expect(channel.name).toBe('redis');
    expect(channel.kind).toBe('object');
    expect(channel.capabilities).toEqual({ maxPayloadBytes: 512 * 1024 * 1024, atomicCounter: true, nativeWait: true, ttl: true });
    expect(channel.model.latencyMs).toBe(5.2);
    expect(channel.model.bandwidthBytesPerMs).toBe(100_000);
    expect(channel.model.pricePerHour).toBe(0.038);
    expect(channel.model.pollDelayMs).toBe(0);
    expect(new RedisChannel({ url, model: { latencyMs: 1 } }).model.latencyMs).toBe(1);
  });
});

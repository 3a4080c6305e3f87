import { describe, expect, it } from 'vitest';
import { channelModel } from '../channel.js';
import { FmiError } from '../errors.js';
import { Deadline } from '../util/deadline.js';
import { PolledStoreChannel } from './polled-store-channel.js';
import type { StoreDriver, StoreErrorKind } from './store-driver.js';

/** An in-memory store behind the driver contract; `fail` makes the next requests throw errors of a kind. */
function memoryStore(options: { pageSize?: number; deleteBatchSize?: number } = {}) {
  const objects = new Map<string, Buffer>();
  const failures: StoreErrorKind[] = [];
  const requests: string[] = [];
  const failed = (kind: StoreErrorKind) => Object.assign(new Error(`store says ${kind}`), { kind, status: kind === 'auth' ? 403 : 500 });
  const step = (what: string) => {
    requests.push(what);
    const kind = failures.shift();
    if (kind) throw failed(kind);
  };
  const driver: StoreDriver = {
    endpoint: 'mem://store',
    deleteBatchSize: options.deleteBatchSize ?? 1,
    async probe() {
      step('probe');
    },
    async put(name, body, { createOnly }) {
      step('put');
      if (createOnly && objects.has(name)) throw failed('conflict');
      objects.set(name, Buffer.from(body));
    },
    async get(name) {
      step('get');
      const value = objects.get(name);
      if (!value) throw failed('absent');
      return Buffer.from(value);
    },
    async list(prefix, token) {
      step('list');
      const names = [...objects.keys()].filter((n) => n.startsWith(prefix)).reverse();
      const from = Number(token ?? 0);
      const size = options.pageSize ?? 1000;
      return { names: names.slice(from, from + size), next: from + size < names.length ? String(from + size) : undefined };
    },
    async delete(names) {
      step(`delete ${names.length}`);
      for (const name of names) objects.delete(name);
    },
    classify: (error) => (error as { kind: StoreErrorKind }).kind,
    describe: (error) => ({ status: (error as { status?: number }).status, text: (error as Error).message }),
  };
  return { driver, objects, failures, requests };
}

const model = channelModel({
  latencyMs: 40,
  bandwidthBytesPerMs: 50_000,
  concurrency: 8,
  pollDelayMs: 100,
  pricePerRequest: { put: 1 },
  pricePerByte: 0,
  pricePerHour: 0,
});
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const op = (ms = 5_000) => ({ deadline: new Deadline(ms, 'test op') });

async function opened(store: ReturnType<typeof memoryStore>, job = 'job') {
  const channel = new PolledStoreChannel({ ...optionsFor(store), model: { latencyMs: 12, pricePerRequest: { get: 2 } } });
  await channel.open({ rank: 0, size: 1, job, logger: silent, clock: { now: () => Date.now() }, deadline: new Deadline(5_000, 'open') });
  return channel;
}

describe('PolledStoreChannel over a store driver', () => {
  it('namespaces keys by job, lists across pages sorted, and counts every request', async () => {
    const store = memoryStore({ pageSize: 2 });
    const channel = await opened(store);
    for (const key of ['a/2', 'a/1', 'a/3', 'b/1']) await channel.put(key, new TextEncoder().encode(key), op());
    expect([...store.objects.keys()].sort()).toEqual(['fmi/job/a/1', 'fmi/job/a/2', 'fmi/job/a/3', 'fmi/job/b/1']);
    expect(await channel.list('a/', op())).toEqual(['a/1', 'a/2', 'a/3']);
    expect(new TextDecoder().decode(await channel.get('a/3', { ...op(), wait: false }))).toBe('a/3');
    expect(await channel.get('missing', { ...op(), wait: false })).toBeUndefined();
    expect(channel.stats()).toMatchObject({ puts: 4, gets: 1, lists: 1, listPages: 2, bucket: 'b', prefix: 'fmi/job/' });
    expect(channel.model).toMatchObject({ latencyMs: 12, pollDelayMs: 10, pricePerRequest: { put: 1, get: 2 } });
    expect(channel.capabilities).toEqual({ maxPayloadBytes: 1024, atomicCounter: false, nativeWait: false, ttl: false });
  });

  it('a waiting get polls until the object lands', async () => {
    const store = memoryStore();
    const channel = await opened(store);
    const waiting = channel.get('late', { ...op(), wait: true });
    await new Promise((resolve) => setTimeout(resolve, 30));
    await channel.put('late', new Uint8Array([7]), op());
    expect(Array.from((await waiting)!)).toEqual([7]);
    expect(channel.stats().polls).toBeGreaterThan(0);
  });

  it('a create-only put accepts its own earlier bytes and refuses other bytes with protocol', async () => {
    const store = memoryStore();
    const channel = await opened(store);
    await channel.put('k', new Uint8Array([1, 2]), op());
    await channel.put('k', new Uint8Array([1, 2]), op());
    const error = await channel.put('k', new Uint8Array([3]), op()).catch((e: unknown) => e);
    expect(FmiError.isKind(error, 'protocol')).toBe(true);
    expect((error as Error).message).toContain('mem://b/fmi/job/k already exists');
    expect(channel.stats()).toMatchObject({ puts: 2, conflicts: 2 });
  });

  it('retries transient failures within the deadline, and reports a service that keeps failing as channel', async () => {
    const store = memoryStore();
    const channel = await opened(store);
    store.failures.push('transient', 'transient');
    await channel.put('k', new Uint8Array([1]), op());
    expect(channel.stats().retries).toBe(2);
    store.failures.push(...Array<StoreErrorKind>(100).fill('transient'));
    const error = await channel.get('k', { ...op(300), wait: false }).catch((e: unknown) => e);
    expect(FmiError.isKind(error, 'channel')).toBe(true);
    expect((error as FmiError).retryable).toBe(true);
    expect((error as Error).message).toMatch(/Memory Store kept failing until the deadline \(300 ms\)/);
  });

  it('maps final failures: auth, a missing store (config naming the field), anything else (channel, not retryable)', async () => {
    const store = memoryStore();
    const channel = await opened(store);
    store.failures.push('auth');
    expect(await channel.list('', op()).catch((e: FmiError) => [e.kind, e.message])).toEqual([
      'auth',
      expect.stringMatching(/access to bucket "b" was refused \(403: .*\) — grant access/),
    ]);
    store.failures.push('absent');
    expect(await channel.list('', op()).catch((e: FmiError) => [e.kind, e.field])).toEqual(['config', 'channels.mem.bucket']);
    store.failures.push('failed');
    expect(await channel.delete(['x'], op()).catch((e: FmiError) => [e.kind, e.retryable])).toEqual(['channel', false]);
  });

  it('deletes in batches of the driver size', async () => {
    const store = memoryStore({ deleteBatchSize: 2 });
    const channel = await opened(store);
    for (const key of ['a', 'b', 'c']) await channel.put(key, new Uint8Array([1]), op());
    await channel.delete(['a', 'b', 'c'], op());
    expect(store.requests.filter((r) => r.startsWith('delete')).sort()).toEqual(['delete 1', 'delete 2']);
    expect(store.objects.size).toBe(0);
    expect(channel.stats().deletes).toBe(3);
  });

  it('open fails with config naming the endpoint setting when the store stays unreachable; calls before open or after close fail', async () => {
    const store = memoryStore();
    store.failures.push(...Array<StoreErrorKind>(1000).fill('transient'));
    const channel = new PolledStoreChannel(optionsFor(store));
    const error = await channel
      .open({ rank: 0, size: 1, job: 'j', logger: silent, clock: { now: () => Date.now() }, deadline: new Deadline(300, 'open') })
      .catch((e: unknown) => e);
    expect(FmiError.isKind(error, 'config')).toBe(true);
    expect((error as FmiError).field).toBe('channels.mem.endpoint');
    expect((error as Error).message).toMatch(/cannot reach Memory Store at mem:\/\/store for bucket "b"/);
    await expect(channel.list('', op())).rejects.toMatchObject({ kind: 'invalid-argument' });
    const open = await opened(memoryStore());
    await open.close();
    await expect(open.get('k', { ...op(), wait: false })).rejects.toMatchObject({ kind: 'closed' });
  });
});

function optionsFor(store: ReturnType<typeof memoryStore>) {
  return {
    name: 'mem',
    maxObjectBytes: 1024,
    modelDefaults: model,
    prefix: 'fmi/',
    maxPollIntervalMs: 20,
    store: {
      service: 'Memory Store',
      noun: 'bucket',
      name: 'b',
      field: 'channels.mem.bucket',
      createHint: 'make it',
      locationPrefix: 'mem://b/',
      authAdvice: 'grant access',
      outageAdvice: 'check the store',
      endpointField: 'channels.mem.endpoint',
      unreachableAdvice: 'check the endpoint',
    },
    connect: async () => store.driver,
  };
}

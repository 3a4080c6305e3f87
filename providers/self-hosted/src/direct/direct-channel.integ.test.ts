import { Deadline, FmiError } from '@fmi/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type DirectWorld, openDirectWorld } from './loopback-world.js';

const worlds: DirectWorld[] = [];
afterEach(async () => {
  await Promise.all(worlds.splice(0).map((w) => w.close()));
});

async function world(size: number, options: Parameters<typeof openDirectWorld>[1] = {}): Promise<DirectWorld> {
  const w = await openDirectWorld(size, options);
  worlds.push(w);
  return w;
}

const wait = (ms = 10_000) => ({ deadline: new Deadline(ms, 'test op') });

function pattern(length: number, seed: number): Uint8Array {
  const b = new Uint8Array(length);
  for (let i = 0; i < length; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

describe('direct channel on loopback', () => {
  it('delivers messages per (peer, tag) in order, tags kept apart, unexpected messages queued', async () => {
    const {
      channels: [a, b],
    } = await world(2);
    // Sent before anyone receives: they wait in b's inbox, per tag.
    for (let i = 0; i < 20; i++) await a.send(1, i % 2 ? 'odd' : 'even', new Uint8Array([i]), wait());
    const odd: number[] = [];
    const even: number[] = [];
    for (let i = 0; i < 10; i++) odd.push((await b.recv(0, 'odd', wait()))[0]);
    for (let i = 0; i < 10; i++) even.push((await b.recv(0, 'even', wait()))[0]);
    expect(odd).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
    expect(even).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
    expect(a.stats().paths).toEqual({ '1': 'private' });
    expect(b.stats().paths).toEqual({ '0': 'private' });
    expect(b.stats()).toMatchObject({ queued: 0, waiting: 0 });
  });

  it('matches receives posted before the sends, from several peers at once', async () => {
    const { channels } = await world(5);
    const received = Promise.all([1, 2, 3, 4].map((p) => channels[0].recv(p, 'x', wait())));
    await Promise.all([1, 2, 3, 4].map((p) => channels[p].send(0, 'x', new Uint8Array([p * 10]), wait())));
    expect((await received).map((m) => [...m])).toEqual([[10], [20], [30], [40]]);
  });

  it('moves 16 MiB both ways at once, intact, and reads into the caller buffer', async () => {
    const {
      channels: [a, b],
    } = await world(2);
    const big = 16 * 1024 * 1024;
    const fromA = pattern(big, 1);
    const fromB = pattern(big, 2);
    const intoB = new Uint8Array(big);
    const [, , atB, atA] = await Promise.all([
      a.send(1, 'big', fromA, wait(30_000)),
      b.send(0, 'big', fromB, wait(30_000)),
      b.recv(0, 'big', { ...wait(30_000), into: intoB }),
      a.recv(1, 'big', wait(30_000)),
    ]);
    expect(atB).toBe(intoB);
    expect(Buffer.compare(atB, fromA)).toBe(0);
    expect(Buffer.compare(atA, fromB)).toBe(0);
  });

  it('fills an into buffer from an already queued message, and refuses a wrong length with protocol', async () => {
    const {
      channels: [a, b],
    } = await world(2);
    await a.send(1, 't', pattern(100, 3), wait());
    await a.send(1, 't', pattern(100, 4), wait());
    await new Promise((r) => setTimeout(r, 50));
    const into = new Uint8Array(100);
    expect(await b.recv(0, 't', { ...wait(), into })).toBe(into);
    expect([...into]).toEqual([...pattern(100, 3)]);
    const error = await b.recv(0, 't', { ...wait(), into: new Uint8Array(99) }).catch((e) => e);
    expect(FmiError.isKind(error, 'protocol')).toBe(true);
    // A receive already waiting when a message of the wrong length arrives fails the same way.
    const pending = b.recv(0, 'u', { ...wait(), into: new Uint8Array(8) }).catch((e) => e);
    await a.send(1, 'u', new Uint8Array(5), wait());
    expect(FmiError.isKind(await pending, 'protocol')).toBe(true);
  });

  it('sends to itself in memory, copying the buffer', async () => {
    const {
      channels: [a],
    } = await world(1);
    const data = new Uint8Array([1, 2, 3]);
    await a.send(0, 'self', data, wait());
    data[0] = 99;
    expect([...(await a.recv(0, 'self', wait()))]).toEqual([1, 2, 3]);
    const two = await world(2);
    await two.channels[1].send(1, 's', new Uint8Array([7]), wait());
    expect([...(await two.channels[1].recv(1, 's', wait()))]).toEqual([7]);
  });

  it('carries empty messages and 255-byte UTF-8 tags, and refuses longer tags', async () => {
    const {
      channels: [a, b],
    } = await world(2);
    const tag = `${'é'.repeat(127)}x`; // 255 bytes
    await a.send(1, tag, new Uint8Array(0), wait());
    expect((await b.recv(0, tag, wait())).byteLength).toBe(0);
    expect(() => a.send(1, `${tag}y`, new Uint8Array(1), wait())).toThrow(/at most 255/);
    expect(() => a.send(5, 't', new Uint8Array(1), wait())).toThrow(/not in 0..1/);
  });

  it('rejects a receive with the deadline reason when nothing comes, and later messages still arrive', async () => {
    const {
      channels: [a, b],
    } = await world(2);
    const deadline = new Deadline(150, 'recv in test');
    const error = await b.recv(0, 'late', { deadline }).catch((e) => e);
    expect(error).toBe(deadline.signal.reason);
    expect(FmiError.isKind(error, 'timeout')).toBe(true);
    await a.send(1, 'late', new Uint8Array([5]), wait());
    expect([...(await b.recv(0, 'late', wait()))]).toEqual([5]);
  });

  it('fails a pending receive with peer-lost when the peer closes, and later operations too', async () => {
    const {
      channels: [a, b, c],
    } = await world(3);
    await a.send(1, 'hi', new Uint8Array([1]), wait());
    await b.recv(0, 'hi', wait());
    const pending = b.recv(0, 'never', wait(20_000)).catch((e) => e);
    const started = Date.now();
    await a.close();
    const error = await pending;
    expect(FmiError.isKind(error, 'peer-lost')).toBe(true);
    expect(error.peer).toBe(0);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(FmiError.isKind(await b.recv(0, 'later', wait()).catch((e) => e), 'peer-lost')).toBe(true);
    expect(FmiError.isKind(await b.send(0, 'later', new Uint8Array(1), wait()).catch((e) => e), 'peer-lost')).toBe(true);
    // c never paired with a: the server's notice makes its receive fail too instead of hanging.
    expect(FmiError.isKind(await c.recv(0, 'x', wait(20_000)).catch((e) => e), 'peer-lost')).toBe(true);
  });

  it('fails a receive that is mid-message with peer-lost when the sender crashes', async () => {
    const {
      channels: [a, b],
    } = await world(2);
    await a.send(1, 'warm', new Uint8Array(1), wait());
    await b.recv(0, 'warm', wait());
    const into = new Uint8Array(64 * 1024 * 1024);
    const pending = b.recv(0, 'big', { ...wait(20_000), into }).catch((e) => e);
    void a.send(1, 'big', new Uint8Array(64 * 1024 * 1024), wait(20_000)).catch(() => {});
    await new Promise((r) => setTimeout(r, 5));
    a.destroy();
    const error = await pending;
    expect(FmiError.isKind(error, 'peer-lost')).toBe(true);
  });

  it('keeps messages that arrived before the peer left', async () => {
    const {
      channels: [a, b],
    } = await world(2);
    for (let i = 0; i < 3; i++) await a.send(1, 'm', new Uint8Array([i]), wait());
    await a.close();
    const got = [];
    for (let i = 0; i < 3; i++) got.push((await b.recv(0, 'm', wait()))[0]);
    expect(got).toEqual([0, 1, 2]);
    expect(FmiError.isKind(await b.recv(0, 'm', wait()).catch((e) => e), 'peer-lost')).toBe(true);
  });

  it('relays through the server when asked to, with the same semantics', async () => {
    const {
      channels: [a, b],
      server,
    } = await world(2, { channel: { paths: ['relay'] } });
    const big = pattern(4 * 1024 * 1024, 9);
    const [, got] = await Promise.all([a.send(1, 'r', big, wait()), b.recv(0, 'r', wait())]);
    expect(Buffer.compare(got, big)).toBe(0);
    await b.send(0, 'back', new Uint8Array([42]), wait());
    expect([...(await a.recv(1, 'back', wait()))]).toEqual([42]);
    expect(a.stats().paths).toEqual({ '1': 'relay' });
    expect(b.stats().paths).toEqual({ '0': 'relay' });
    expect(server.stats().relays).toBe(1);
    expect(server.stats().relayBytes).toBeGreaterThan(big.byteLength);
  });

  it('connects every pair of 16 ranks and exchanges with all of them', async () => {
    const size = 16;
    const { channels } = await world(size);
    await Promise.all(
      channels.flatMap((ch, r) =>
        channels.map(async (_, p) => {
          await ch.send(p, 'all', new Uint8Array([r, p]), wait(30_000));
          const m = await ch.recv(p, 'all', wait(30_000));
          expect([...m]).toEqual([p, r]);
        }),
      ),
    );
    for (const [r, ch] of channels.entries()) expect(Object.keys(ch.stats().paths as object)).toHaveLength(size - 1 - 0 * r);
  });

  it('opens 64 ranks in one process', async () => {
    const { channels } = await world(64);
    // A ring exchange: each rank pairs with its two neighbours.
    await Promise.all(
      channels.map(async (ch, r) => {
        const right = (r + 1) % 64;
        const left = (r + 63) % 64;
        await ch.send(right, 'ring', new Uint8Array([r]), wait(30_000));
        expect([...(await ch.recv(left, 'ring', wait(30_000)))]).toEqual([left]);
      }),
    );
  });
});

import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Endpoint } from '../rendezvous/protocol.js';
import { encodeHello, readHello } from './data-hello.js';
import { dialPrivate, orderPrivateEndpoints } from './private-dial.js';
import { PrivateListener } from './private-listener.js';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

/** A stand-in peer on loopback: answers every hello with `answer(token)`, counts connections. */
async function fakePeer(rank: number): Promise<{ endpoint: Endpoint; accepted: () => number }> {
  let accepted = 0;
  const sockets: Socket[] = [];
  const server: Server = createServer((s) => {
    accepted++;
    sockets.push(s);
    s.on('error', () => {});
    readHello(s, Buffer.alloc(0), new AbortController().signal, 'test').then(
      (h) => s.write(encodeHello(h.token, rank)),
      () => s.destroy(),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanup.push(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { endpoint: { host: '127.0.0.1', port: (server.address() as { port: number }).port }, accepted: () => accepted };
}

/** A loopback port with nothing listening (connects are refused). */
async function closedPort(): Promise<Endpoint> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return { host: '127.0.0.1', port };
}

describe('private dial (Happy Eyeballs)', () => {
  it('dials one endpoint when the first one is the peer, and never touches the others', async () => {
    const peer = await fakePeer(1);
    const other = await fakePeer(1);
    const token = randomBytes(16);
    const d = await dialPrivate({
      endpoints: [peer.endpoint, other.endpoint],
      token,
      ownRank: 0,
      peer: 1,
      connectMs: 1_000,
      cancel: new AbortController().signal,
    });
    expect(d?.dials).toBe(1);
    expect(d?.hello.rank).toBe(1);
    d?.socket.destroy();
    expect(peer.accepted()).toBe(1);
    expect(other.accepted()).toBe(0);
  });

  it('moves on at once from a refused endpoint and from a hello of the wrong rank', async () => {
    const wrong = await fakePeer(7);
    const peer = await fakePeer(1);
    const token = randomBytes(16);
    const d = await dialPrivate({
      endpoints: [await closedPort(), wrong.endpoint, peer.endpoint],
      token,
      ownRank: 0,
      peer: 1,
      connectMs: 60_000,
      staggerMs: 60_000,
      cancel: new AbortController().signal,
    });
    expect(d?.dials).toBe(3);
    d?.socket.destroy();
  });

  it('resolves undefined when no endpoint leads to the peer', async () => {
    const d = await dialPrivate({
      endpoints: [await closedPort(), await closedPort()],
      token: randomBytes(16),
      ownRank: 0,
      peer: 1,
      connectMs: 1_000,
      cancel: new AbortController().signal,
    });
    expect(d).toBeUndefined();
  });

  it('orders loopback first for a peer on this host, last otherwise', () => {
    const eps: Endpoint[] = [
      { host: '192.0.2.2', port: 1 },
      { host: 'fd00::2', port: 1 },
      { host: '127.0.0.1', port: 1 },
      { host: '::1', port: 1 },
    ];
    const own = new Set(['192.0.2.2', 'fd00::2']);
    const hosts = (o: Endpoint[]) => o.map((e) => e.host);
    expect(
      hosts(orderPrivateEndpoints(eps, { peerObserved: { host: '127.0.0.1', port: 5 }, ownObserved: { host: '127.0.0.1', port: 6 }, ownAddresses: new Set() })),
    ).toEqual(['127.0.0.1', '::1', '192.0.2.2', 'fd00::2']);
    expect(
      hosts(
        orderPrivateEndpoints(eps, { peerObserved: { host: '198.51.100.1', port: 5 }, ownObserved: { host: '198.51.100.1', port: 6 }, ownAddresses: own }),
      )[0],
    ).toBe('127.0.0.1');
    // Same public address (one NAT) but another host: its own addresses first, loopback last.
    expect(
      hosts(
        orderPrivateEndpoints(eps, {
          peerObserved: { host: '198.51.100.1', port: 5 },
          ownObserved: { host: '198.51.100.1', port: 6 },
          ownAddresses: new Set(['10.0.0.9']),
        }),
      ),
    ).toEqual(['192.0.2.2', 'fd00::2', '127.0.0.1', '::1']);
    expect(
      hosts(orderPrivateEndpoints(eps, { peerObserved: { host: '198.51.100.1', port: 5 }, ownObserved: { host: '203.0.113.7', port: 6 }, ownAddresses: own })),
    ).toEqual(['192.0.2.2', 'fd00::2', '127.0.0.1', '::1']);
  });
});

describe('private listener', () => {
  it("keeps a hello that arrives before this rank's INTRO, and hands it over on expect", async () => {
    const listener = await PrivateListener.start('127.0.0.1');
    cleanup.push(() => listener.close());
    const token = randomBytes(16);
    const socket = connect({ host: '127.0.0.1', port: listener.port });
    cleanup.push(() => socket.destroy());
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write(encodeHello(token, 4));
    const answered = readHello(socket, Buffer.alloc(0), new AbortController().signal, 'listener');
    // Give the listener time to read the hello and park it (no INTRO for it yet).
    await new Promise((r) => setTimeout(r, 50));
    const arrived = new Promise<number>((resolve) => listener.expect(token, 4, 2, (_s, hello) => resolve(hello.rank)));
    expect(await arrived).toBe(4);
    expect((await answered).rank).toBe(2);
  });
});

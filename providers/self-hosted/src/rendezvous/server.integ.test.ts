import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { Deadline, FmiError } from '@fmi/core';
import { afterEach, describe, expect, it } from 'vitest';
import { openDirectWorld } from '../direct/loopback-world.js';
import { ControlConnection } from './control-client.js';
import { deriveJobSecret, generateServerKey } from './job-secret.js';
import { encodeU32, FrameBuilder, MessageType } from './protocol.js';
import { type RendezvousServer, startRendezvousServer } from './server.js';

const servers: RendezvousServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(limits: Parameters<typeof startRendezvousServer>[0]['limits'] = {}) {
  const serverKey = generateServerKey();
  const s = await startRendezvousServer({ host: '127.0.0.1', port: 0, serverKey, limits });
  servers.push(s);
  return { server: s, serverKey, address: { host: '127.0.0.1', port: s.address.port } };
}

const noEvents = { intro() {}, punch() {}, peerGone() {}, pairFailed() {}, closed() {} };

describe('rendezvous server', () => {
  it('refuses a rank with the wrong job secret with kind auth, and accepts the right one', async () => {
    const { serverKey, address, server: s } = await server();
    const base = { address, job: 'job-a', rank: 0, size: 2, endpoints: [], events: noEvents };
    const refused = await ControlConnection.open({ ...base, secret: deriveJobSecret('another key', 'job-a'), deadline: new Deadline(5_000, 'open') }).catch(
      (e) => e,
    );
    expect(FmiError.isKind(refused, 'auth')).toBe(true);
    expect(refused.message).toMatch(/FMI_SECRET/);
    // A secret of another job is refused too: secrets are per job.
    const otherJob = await ControlConnection.open({ ...base, secret: deriveJobSecret(serverKey, 'job-b'), deadline: new Deadline(5_000, 'open') }).catch(
      (e) => e,
    );
    expect(FmiError.isKind(otherJob, 'auth')).toBe(true);
    const ok = await ControlConnection.open({ ...base, secret: deriveJobSecret(serverKey, 'job-a'), deadline: new Deadline(5_000, 'open') });
    expect(ok.observed.host).toBe('127.0.0.1');
    ok.start();
    ok.close();
    expect(s.stats().rejectedAuth).toBe(2);
  });

  it('refuses a second connection for a rank already connected, and a size that disagrees', async () => {
    const { serverKey, address } = await server();
    const secret = deriveJobSecret(serverKey, 'j');
    const open = (rank: number, size: number) =>
      ControlConnection.open({ address, job: 'j', rank, size, secret, endpoints: [], events: noEvents, deadline: new Deadline(5_000, 'open') });
    const first = await open(0, 2);
    first.start();
    expect(FmiError.isKind(await open(0, 2).catch((e) => e), 'config')).toBe(true);
    expect(FmiError.isKind(await open(1, 3).catch((e) => e), 'config')).toBe(true);
    first.close();
  });

  it('survives a flood of malformed and oversized frames while serving another job, with bounded memory', async () => {
    const shared = await server({ authTimeoutMs: 2_000 });
    const world = await openDirectWorld(2, { server: { server: shared.server, serverKey: shared.serverKey } });
    try {
      const payloads: Buffer[] = [
        Buffer.from([1, 0x02, 0xff, 0xff]), // AUTH announcing 65,535 bytes: above the limit
        Buffer.from([9, 0x02, 0, 1, 0]), // unknown protocol version
        new FrameBuilder().u8(7).frame(MessageType.Auth), // truncated AUTH
        encodeU32(MessageType.Connect, 1), // CONNECT before authenticating
        new FrameBuilder().u8(1).str8('job').u32(0).u32(2).u32(0).u8(200).frame(MessageType.Auth), // 200 endpoints
      ];
      const heapBefore = process.memoryUsage().heapUsed;
      const sockets: Socket[] = [];
      const flood = async (round: number) => {
        const socket = connect({ host: '127.0.0.1', port: shared.address.port });
        sockets.push(socket);
        socket.on('error', () => {});
        socket.resume(); // read the server's ERROR frame and EOF, as a real client would
        await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
        // Random garbage or a crafted bad frame, then a megabyte of junk the server must not keep.
        socket.write(round % 3 === 0 ? randomBytes(512) : payloads[round % payloads.length]);
        socket.write(randomBytes(1024 * 1024));
        await new Promise<void>((resolve) => socket.once('close', () => resolve()));
      };
      // 200 bad clients, 20 at a time, while the good job keeps exchanging messages.
      let exchanges = 0;
      const good = (async () => {
        for (let i = 0; i < 50; i++) {
          const d = new Deadline(10_000, 'exchange');
          const [, got] = await Promise.all([
            world.channels[0].send(1, `m${i}`, new Uint8Array([i]), { deadline: d }),
            world.channels[1].recv(0, `m${i}`, { deadline: d }),
          ]);
          expect(got[0]).toBe(i);
          exchanges++;
        }
      })();
      for (let batch = 0; batch < 10; batch++) await Promise.all(Array.from({ length: 20 }, (_, i) => flood(batch * 20 + i)));
      await good;
      expect(exchanges).toBe(50);
      const stats = shared.server.stats();
      expect(stats.rejectedFrames).toBeGreaterThanOrEqual(200);
      // Every bad connection is gone; only the good job's two control connections remain.
      await new Promise((r) => setTimeout(r, 100));
      expect(shared.server.stats().connections).toBe(2);
      // 200 MiB of junk went in; the server may not have kept more than a few MiB of it.
      if (global.gc) global.gc();
      expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
      // A new job is still served after the flood.
      const late = await openDirectWorld(2, { server: { server: shared.server, serverKey: shared.serverKey } });
      const d = new Deadline(10_000, 'late');
      await late.channels[0].send(1, 'after', new Uint8Array([1]), { deadline: d });
      expect((await late.channels[1].recv(0, 'after', { deadline: d }))[0]).toBe(1);
      await late.close();
    } finally {
      await world.close();
    }
  });

  it('drops an unauthenticated connection after the auth timeout', async () => {
    const { address, server: s } = await server({ authTimeoutMs: 200 });
    const socket = connect(address);
    socket.on('error', () => {});
    socket.resume();
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await closed;
    // The server sees its side close a moment after the client does.
    for (let i = 0; i < 100 && s.stats().connections > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(s.stats().connections).toBe(0);
  });

  it('expires a pairing whose peer never comes, and tells the waiting rank', async () => {
    const { serverKey, address, server: s } = await server({ pairTimeoutMs: 200 });
    const secret = deriveJobSecret(serverKey, 'lonely');
    let failure: FmiError | undefined;
    const failed = new Promise<void>((resolve) => {
      void ControlConnection.open({
        address,
        job: 'lonely',
        rank: 0,
        size: 2,
        secret,
        endpoints: [],
        deadline: new Deadline(5_000, 'open'),
        events: {
          ...noEvents,
          pairFailed: (_id, _peer, e) => {
            failure = e;
            resolve();
          },
        },
      }).then((c) => {
        c.start();
        c.requestPeer(1);
      });
    });
    await failed;
    expect(FmiError.isKind(failure, 'timeout')).toBe(true);
    expect(s.stats().pendingPairs).toBe(0);
  });

  it('refuses pairings beyond the per-job limit', async () => {
    const { serverKey, address } = await server({ maxPendingPairsPerJob: 2 });
    const secret = deriveJobSecret(serverKey, 'busy');
    const errors: FmiError[] = [];
    const c = await ControlConnection.open({
      address,
      job: 'busy',
      rank: 0,
      size: 8,
      secret,
      endpoints: [],
      deadline: new Deadline(5_000, 'open'),
      events: { ...noEvents, pairFailed: (_i, _p, e) => errors.push(e) },
    });
    c.start();
    for (let p = 1; p <= 4; p++) c.requestPeer(p);
    await new Promise((r) => setTimeout(r, 200));
    expect(errors.map((e) => e.kind)).toEqual(['channel', 'channel']);
    c.close();
  });
});

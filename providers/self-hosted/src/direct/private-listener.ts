import { createServer, type Server, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { FmiError } from '@fmi/core';
import type { Endpoint } from '../rendezvous/protocol.js';
import { encodeHello, type Hello, readHello } from './data-hello.js';

/** What the listener does with a connection whose hello carries an expected token. */
export type PrivateArrival = (socket: Socket, hello: Hello) => void;

const HELLO_TIMEOUT_MS = 5_000;
const MAX_ADVERTISED = 8;
/**
 * A hello whose token is not expected (yet) is held this long: the initiator's connection can
 * arrive before this rank has read its own INTRO for the pair (the server sends both in the same
 * turn, but the two copies travel separately). Dropping it would cost the initiator that endpoint.
 */
const PARK_MS = 1_000;
const MAX_PARKED = 1_024;

/**
 * The listener behind a rank's private endpoint: peers on the same host or network dial it
 * directly. It only keeps a connection whose hello carries the token of a pairing this rank is
 * waiting for, from the right rank; it answers with its own hello and hands the socket over.
 *
 * It listens on its own port, never on the control connection's port: Node ignores
 * `reusePort`, and a listener on that port would make every later punch from it fail with
 * EADDRINUSE.
 */
export class PrivateListener {
  private readonly expected = new Map<string, { peer: number; rank: number; arrive: PrivateArrival }>();
  private readonly pending = new Set<Socket>();
  /** Connections whose hello came before `expect` for its token, by token (hex). */
  private readonly parked = new Map<string, { socket: Socket; hello: Hello; timer: NodeJS.Timeout }>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly family: 4 | 6,
  ) {
    server.on('connection', (socket) => this.accept(socket));
  }

  /** Listens on `host` (default: every interface, IPv6 and IPv4) on a free port. */
  static async start(host: string | undefined): Promise<PrivateListener> {
    const server = createServer({ noDelay: true, pauseOnConnect: true });
    const listen = (h: string, ipv6Only?: boolean) =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: h, port: 0, ipv6Only }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    try {
      if (host) await listen(host);
      else {
        try {
          await listen('::', false);
        } catch {
          await listen('0.0.0.0');
        }
      }
    } catch (e) {
      throw new FmiError('config', `[direct] cannot listen for private connections on ${host ?? 'all interfaces'}: ${(e as Error).message}`, {
        cause: e,
        channel: 'direct',
        field: 'channels.direct.listenHost',
      });
    }
    const address = server.address();
    if (!address || typeof address === 'string') throw new FmiError('channel', '[direct] private listener has no address');
    server.unref();
    return new PrivateListener(server, address.port, address.family === 'IPv6' ? 6 : 4);
  }

  /**
   * The endpoints to advertise: every non-link-local address of this host (external ones first)
   * with the listener's port. Unreachable ones cost the dialling peer only a failed connect.
   */
  endpoints(listenHost: string | undefined): Endpoint[] {
    if (listenHost && listenHost !== '::' && listenHost !== '0.0.0.0') return [{ host: listenHost, port: this.port }];
    const external: Endpoint[] = [];
    const internal: Endpoint[] = [];
    for (const list of Object.values(networkInterfaces())) {
      for (const a of list ?? []) {
        if (a.family === 'IPv6' && (this.family === 4 || a.address.toLowerCase().startsWith('fe80'))) continue;
        (a.internal ? internal : external).push({ host: a.address, port: this.port });
      }
    }
    return [...external, ...internal].slice(0, MAX_ADVERTISED);
  }

  /** Waits for `peer`'s connection carrying `token`; the caller stops waiting with `unexpect`. */
  expect(token: Buffer, peer: number, ownRank: number, arrive: PrivateArrival): void {
    const key = token.toString('hex');
    const early = this.parked.get(key);
    if (early) {
      this.unpark(key);
      if (early.hello.rank === peer && !early.socket.destroyed) {
        early.socket.write(encodeHello(token, ownRank));
        arrive(early.socket, early.hello);
        return;
      }
      early.socket.destroy();
    }
    this.expected.set(key, { peer, rank: ownRank, arrive });
  }

  unexpect(token: Buffer): void {
    this.expected.delete(token.toString('hex'));
  }

  close(): void {
    this.server.close();
    for (const s of this.pending) s.destroy();
    this.pending.clear();
    for (const key of [...this.parked.keys()]) this.unpark(key)?.destroy();
    this.expected.clear();
  }

  private accept(socket: Socket): void {
    socket.on('error', () => {});
    this.pending.add(socket);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new FmiError('timeout', '[direct] private connection sent no hello in time')), HELLO_TIMEOUT_MS);
    const where = `private connection from ${socket.remoteAddress}:${socket.remotePort}`;
    readHello(socket, Buffer.alloc(0), controller.signal, where).then(
      (hello) => {
        clearTimeout(timer);
        this.pending.delete(socket);
        const key = hello.token.toString('hex');
        const entry = this.expected.get(key);
        if (!entry) {
          this.park(key, socket, hello);
          return;
        }
        if (entry.peer !== hello.rank) {
          socket.destroy();
          return;
        }
        this.expected.delete(key);
        socket.write(encodeHello(hello.token, entry.rank));
        entry.arrive(socket, hello);
      },
      () => {
        clearTimeout(timer);
        this.pending.delete(socket);
        socket.destroy();
      },
    );
  }

  private park(key: string, socket: Socket, hello: Hello): void {
    if (this.parked.has(key) || this.parked.size >= MAX_PARKED) {
      socket.destroy();
      return;
    }
    const timer = setTimeout(() => this.unpark(key)?.destroy(), PARK_MS);
    timer.unref();
    this.parked.set(key, { socket, hello, timer });
    socket.once('close', () => {
      if (this.parked.get(key)?.socket === socket) this.unpark(key);
    });
  }

  private unpark(key: string): Socket | undefined {
    const p = this.parked.get(key);
    if (!p) return undefined;
    clearTimeout(p.timer);
    this.parked.delete(key);
    return p.socket;
  }
}

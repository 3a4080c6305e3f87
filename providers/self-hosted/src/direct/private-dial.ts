import { connect, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { type EventLoopUtilization, performance } from 'node:perf_hooks';
import type { Endpoint } from '../rendezvous/protocol.js';
import { encodeHello, type Hello, helloMatches, readHello } from './data-hello.js';

export interface Dialled {
  readonly socket: Socket;
  readonly hello: Hello;
  /** Connections opened for this pairing (1 when the first endpoint tried was the peer). */
  readonly dials: number;
}

/** Once a private connect succeeded, the hello exchange gets this long even past `connectMs`. */
const HELLO_GRACE_MS = 5_000;
/**
 * Happy Eyeballs pacing (after RFC 8305): the next endpoint is dialled when the current attempt
 * fails, or when it has not connected after this long. Connects on one host or inside one VPC take
 * well under a millisecond; the delay only matters for an endpoint that silently drops the SYN.
 */
export const PRIVATE_STAGGER_MS = 50;
/** An attempt that connected but whose hello has not come yet gets this many staggers before the next one starts. */
const CONNECTED_STAGGERS = 4;
/** Event-loop utilisation above which this process, not the network, is what delays a hello. */
const BUSY_LOOP = 0.5;

export interface PrivateDialOptions {
  /** The peer's private endpoints, most likely first (see `orderPrivateEndpoints`). */
  readonly endpoints: readonly Endpoint[];
  readonly token: Buffer;
  readonly ownRank: number;
  readonly peer: number;
  /** Budget for connects; endpoints not started by then are not tried. */
  readonly connectMs: number;
  readonly cancel: AbortSignal;
  /** Delay before the next endpoint while the current one is still connecting. Default PRIVATE_STAGGER_MS. */
  readonly staggerMs?: number;
}

/**
 * Dials the peer's private endpoints one after the other, Happy-Eyeballs style: the first at once,
 * the next as soon as the previous one fails or after a short stagger while it is still connecting,
 * and keeps the first connection whose hello proves it is the peer of this pairing; every other
 * attempt is cancelled at that moment. Dialling all endpoints at once made N endpoints cost N
 * connections, accepts and hello exchanges per pair (4 on a typical host: public and private
 * addresses of both families), all but one thrown away. Connects are bounded by `connectMs` (an
 * unroutable private address can hang until then); resolves `undefined` when no endpoint leads to
 * the peer.
 */
export function dialPrivate(o: PrivateDialOptions): Promise<Dialled | undefined> {
  const { endpoints, token, ownRank, peer, cancel } = o;
  if (endpoints.length === 0 || cancel.aborted) return Promise.resolve(undefined);
  // Every endpoint gets its turn within the budget even when each one hangs.
  const staggerMs = Math.max(1, Math.min(o.staggerMs ?? PRIVATE_STAGGER_MS, Math.floor(o.connectMs / (endpoints.length + 1))));
  return new Promise((resolve) => {
    let nextIndex = 0;
    let dials = 0;
    let won = false;
    let budgetOver = false;
    /** Attempts in flight, with the abort of their hello read (undefined while connecting). */
    const attempts = new Map<Socket, AbortController | undefined>();
    let latest: Socket | undefined;
    let latestStarted = 0;
    let staggerTimer: NodeJS.Timeout | undefined;
    let staggerDue = 0;
    let staggerLoad: EventLoopUtilization | undefined;
    let staggersWhileConnected = 0;

    const finish = (result: Dialled | undefined) => {
      if (won) return;
      won = true;
      clearTimeout(connectTimer);
      clearTimeout(staggerTimer);
      cancel.removeEventListener('abort', onCancel);
      for (const [s, hello] of attempts) {
        if (s === result?.socket) continue;
        hello?.abort();
        s.destroy();
      }
      attempts.clear();
      resolve(result);
    };
    const settleIfExhausted = () => {
      if (!won && attempts.size === 0 && (budgetOver || nextIndex >= endpoints.length)) finish(undefined);
    };
    const startNext = () => {
      clearTimeout(staggerTimer);
      staggerTimer = undefined;
      if (won) return;
      if (budgetOver || nextIndex >= endpoints.length) {
        settleIfExhausted();
        return;
      }
      dial(endpoints[nextIndex++]);
      if (nextIndex < endpoints.length) armStagger(staggerMs);
    };
    const armStagger = (ms: number) => {
      clearTimeout(staggerTimer);
      staggerDue = performance.now() + ms;
      staggerLoad = performance.eventLoopUtilization();
      // The check waits for the poll phase: on a busy loop the connect may have completed with its
      // event still queued behind this timer.
      staggerTimer = setTimeout(() => setImmediate(onStagger), ms);
    };
    const onStagger = () => {
      if (won || budgetOver) return;
      // Still connecting: the SYN may be lost in an unroutable network — try the next one too.
      // Connected and waiting for the hello: the peer is most likely there, so wait longer before
      // adding another connection. A stagger during which this loop was busy (many ranks pairing
      // in one process) or that fired late does not count: the hello is slow because of us, and
      // another connection would only add to the load. Either way the next endpoint starts within
      // half the connect budget.
      if (latest && attempts.has(latest) && !latest.connecting) {
        const now = performance.now();
        const busy = staggerLoad !== undefined && performance.eventLoopUtilization(staggerLoad).utilization > BUSY_LOOP;
        if (!busy && now - staggerDue < staggerMs) staggersWhileConnected++;
        if (staggersWhileConnected < CONNECTED_STAGGERS && now - latestStarted < o.connectMs / 2) {
          armStagger(staggerMs);
          return;
        }
      }
      startNext();
    };
    const onCancel = () => finish(undefined);
    cancel.addEventListener('abort', onCancel, { once: true });
    const connectTimer = setTimeout(() => {
      // Endpoints still connecting have had their chance; those exchanging hellos keep going.
      setImmediate(() => {
        if (won) return;
        budgetOver = true;
        clearTimeout(staggerTimer);
        for (const [s, hello] of attempts) {
          if (hello === undefined && s.connecting) {
            attempts.delete(s);
            s.destroy();
          }
        }
        settleIfExhausted();
      });
    }, o.connectMs);

    const dial = (e: Endpoint) => {
      dials++;
      staggersWhileConnected = 0;
      latestStarted = performance.now();
      const socket = connect({ host: e.host, port: e.port, noDelay: true });
      attempts.set(socket, undefined);
      latest = socket;
      socket.on('error', () => {});
      let failed = false;
      const fail = () => {
        if (failed) return;
        failed = true;
        const hello = attempts.get(socket);
        if (attempts.delete(socket)) {
          hello?.abort();
          socket.destroy();
          // Happy Eyeballs: a failed attempt starts the next endpoint at once.
          if (!won) startNext();
        }
      };
      socket.once('close', fail);
      socket.once('connect', () => {
        socket.off('close', fail);
        if (won || !attempts.has(socket)) return;
        const helloAbort = new AbortController();
        const helloTimer = setTimeout(() => helloAbort.abort(new Error('no hello in time')), HELLO_GRACE_MS);
        attempts.set(socket, helloAbort);
        socket.write(encodeHello(token, ownRank));
        readHello(socket, Buffer.alloc(0), helloAbort.signal, `private endpoint ${e.host}:${e.port}`).then(
          (hello) => {
            clearTimeout(helloTimer);
            if (helloMatches(hello, token, peer) && !won && attempts.has(socket)) finish({ socket, hello, dials });
            else fail();
          },
          () => {
            clearTimeout(helloTimer);
            fail();
          },
        );
      });
    };
    startNext();
  });
}

function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  return h === '::1' || h.startsWith('127.') || h.startsWith('::ffff:127.') || h === 'localhost';
}

let localCache: { at: number; addresses: ReadonlySet<string> } | undefined;

/** This host's non-loopback addresses (cached for a few seconds: pairing asks once per pair). */
export function localAddresses(now: number = Date.now()): ReadonlySet<string> {
  if (localCache && now - localCache.at < 5_000) return localCache.addresses;
  const addresses = new Set<string>();
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (!a.internal) addresses.add(a.address.toLowerCase());
  localCache = { at: now, addresses };
  return addresses;
}

export interface EndpointOrderContext {
  /** The peer's public endpoint as the server saw it. */
  readonly peerObserved: Endpoint;
  /** This rank's public endpoint as the server saw it. */
  readonly ownObserved: Endpoint;
  /** This host's non-loopback addresses. */
  readonly ownAddresses: ReadonlySet<string>;
}

/**
 * Most likely endpoint first. A peer that looks like it runs on this host — the server saw both
 * ranks from the same address, and that address is a loopback one or the peer advertises one of
 * this host's own addresses — is dialled on its loopback endpoints first. Otherwise the peer's own
 * order holds (its external addresses first), and its loopback endpoints, which lead to this host
 * rather than to the peer, come last. Nothing is dropped: the hello decides, and a wrong guess
 * costs one refused or mismatched connect.
 */
export function orderPrivateEndpoints(endpoints: readonly Endpoint[], c: EndpointOrderContext): Endpoint[] {
  const loopback = endpoints.filter((e) => isLoopback(e.host));
  const other = endpoints.filter((e) => !isLoopback(e.host));
  const sameHost =
    c.peerObserved.host === c.ownObserved.host && (isLoopback(c.ownObserved.host) || other.some((e) => c.ownAddresses.has(e.host.toLowerCase())));
  return sameHost ? [...loopback, ...other] : [...other, ...loopback];
}

import { connect, type Socket } from 'node:net';
import type { Endpoint } from '../rendezvous/protocol.js';
import { encodeHello, type Hello, helloMatches, readHello } from './data-hello.js';

export interface PunchOptions {
  /** The peer's public endpoint, as the server observed it. */
  readonly peer: Endpoint;
  readonly peerRank: number;
  readonly ownRank: number;
  readonly token: Buffer;
  /** The control connection's local port: its NAT mapping is the one the peer was told about. */
  readonly localPort: number;
  readonly localAddress: string;
  /** Time budget of the whole punch. */
  readonly budgetMs: number;
  readonly cancel: AbortSignal;
}

export interface Punched {
  readonly socket: Socket;
  readonly hello: Hello;
  readonly attempts: number;
}

/**
 * Retry delay after a refused attempt: immediate, with 0-10 ms of random jitter, as measured in
 * notes/hole-punching.md (identical backoff on both sides never lets the SYNs cross behind
 * RST-answering NATs; a much shorter cycle did worse here, as it keeps the NATs' conntrack entries
 * of the pair churning).
 */
const MAX_JITTER_MS = 10;
/** Never more than one attempt per this many ms, so a peer that answers RST at once cannot make us spin. */
const MIN_ATTEMPT_INTERVAL_MS = 2;
/**
 * Once connected, the hello exchange may finish past the budget: the peer saw the same connect and
 * counts on it, and giving up now would leave one side punched and the other at the relay.
 */
const HELLO_TIMEOUT_MS = 3_000;

/**
 * TCP simultaneous open: both sides, told "go" at the same moment, connect from the port their
 * NAT already mapped for the control connection to the other's public endpoint. Each outgoing SYN
 * opens the sender's NAT for the peer's; when both are in flight, both kernels see a SYN for a
 * socket in SYN_SENT and the connection forms with no listener anywhere.
 *
 * A NAT that answers an unsolicited SYN with RST makes the attempt fail with ECONNREFUSED; the
 * retry is immediate with random jitter, because identical backoff on both sides keeps the SYNs
 * from ever crossing. A NAT that drops the SYN leaves the attempt pending until the peer's SYN
 * arrives through the hole. Resolves `undefined` when the budget runs out (port-randomising NATs).
 */
export function punch(o: PunchOptions): Promise<Punched | undefined> {
  const until = Date.now() + o.budgetMs;
  return new Promise((resolve) => {
    let attempts = 0;
    let done = false;
    let current: Socket | undefined;
    let retryTimer: NodeJS.Timeout | undefined;
    let greeting = false;
    let expired = false;
    const finish = (result: Punched | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(budgetTimer);
      clearTimeout(retryTimer);
      o.cancel.removeEventListener('abort', onCancel);
      if (current && current !== result?.socket) current.destroy();
      resolve(result);
    };
    const onCancel = () => finish(undefined);
    const budgetTimer = setTimeout(() => {
      expired = true;
      if (!greeting) finish(undefined);
    }, o.budgetMs);
    o.cancel.addEventListener('abort', onCancel, { once: true });

    const attempt = () => {
      if (done) return;
      if (expired || Date.now() >= until) {
        finish(undefined);
        return;
      }
      attempts++;
      const started = Date.now();
      const socket = connect({ host: o.peer.host, port: o.peer.port, localPort: o.localPort, localAddress: o.localAddress, noDelay: true });
      current = socket;
      socket.on('error', () => {});
      let retried = false;
      const retry = () => {
        if (retried || done) return;
        retried = true;
        socket.destroy();
        const spent = Date.now() - started;
        const wait = Math.max(MIN_ATTEMPT_INTERVAL_MS - spent, 0) + Math.random() * MAX_JITTER_MS;
        retryTimer = setTimeout(attempt, wait);
      };
      socket.once('close', retry);
      socket.once('connect', () => {
        socket.off('close', retry);
        greeting = true;
        socket.write(encodeHello(o.token, o.ownRank));
        readHello(
          socket,
          Buffer.alloc(0),
          AbortSignal.any([AbortSignal.timeout(HELLO_TIMEOUT_MS), o.cancel]),
          `punched connection to ${o.peer.host}:${o.peer.port}`,
        ).then(
          (hello) => {
            greeting = false;
            if (!done && helloMatches(hello, o.token, o.peerRank)) finish({ socket, hello, attempts });
            else if (expired) finish(undefined);
            else retry();
          },
          () => {
            greeting = false;
            if (expired) finish(undefined);
            else retry();
          },
        );
      });
    };
    attempt();
  });
}

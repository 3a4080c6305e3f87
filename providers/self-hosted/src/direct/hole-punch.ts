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
 * Retry pacing after a refused attempt. Behind NATs that answer an unsolicited SYN with RST, the RST
 * also deletes the sender's conntrack entry (netfilter drops an entry whose only reply is a RST), so
 * a hole exists only from our SYN passing our NAT until the peer NAT's RST comes back: one NAT-to-NAT
 * round trip. Both SYNs must pass their NATs inside that window. Across the internet that is
 * milliseconds; between namespaces on one host it is tens of microseconds, and a schedule of one
 * attempt every 2-12 ms (setTimeout never waits less than 1 ms) crossed in ~0.5 % of the attempts,
 * so half of the pairs ran out of budget. Retrying as soon as the RST arrives (the round trip paces
 * the attempts by itself) with a sub-millisecond random jitter crosses within a few milliseconds.
 * Rate limit: never two attempts less than MIN_ATTEMPT_INTERVAL_MS apart (on average one per
 * MIN + JITTER/2 ms, ~2,700/s at most, for at most the budget).
 */
const MIN_ATTEMPT_INTERVAL_MS = 0.25;
const MAX_JITTER_MS = 0.25;
/**
 * An attempt that neither connects nor is refused has lost its SYN (dropped at a NAT, e.g. in a
 * conntrack clash with the peer's crossing SYN); the kernel would resend it only after 1 s. It is
 * abandoned after this many typical refusal times (bounded below and above) and retried at once. A
 * pending attempt behind a NAT that drops unsolicited SYNs is restarted just as harmlessly.
 */
const STALL_FACTOR = 10;
const MIN_STALL_MS = 20;
const MAX_STALL_MS = 1_000;
/**
 * Once connected, the hello exchange may finish past the budget: the peer saw the same connect and
 * counts on it, and giving up now would leave one side punched and the other at the relay.
 */
const HELLO_TIMEOUT_MS = 3_000;

/**
 * Calls `fn` at `at` (performance.now() ms), never synchronously: setTimeout for waits of 2 ms and
 * more (its resolution is 1 ms), else the following turns of the event loop.
 */
function runAt(at: number, fn: () => void): { cancel(): void } {
  let cancelled = false;
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  const step = () => {
    if (cancelled) return;
    const left = at - performance.now();
    if (left <= 0) fn();
    else if (left >= 2) timer = setTimeout(step, Math.floor(left - 1));
    else immediate = setImmediate(step);
  };
  immediate = setImmediate(step);
  return {
    cancel() {
      cancelled = true;
      clearTimeout(timer);
      if (immediate) clearImmediate(immediate);
    },
  };
}

/**
 * TCP simultaneous open: both sides, told "go" at the same moment, connect from the port their
 * NAT already mapped for the control connection to the other's public endpoint. Each outgoing SYN
 * opens the sender's NAT for the peer's; when both are in flight, both kernels see a SYN for a
 * socket in SYN_SENT and the connection forms with no listener anywhere.
 *
 * A NAT that answers an unsolicited SYN with RST makes the attempt fail with ECONNREFUSED; the
 * retry is immediate with sub-millisecond random jitter and rate limited (see MIN_ATTEMPT_INTERVAL_MS),
 * because the SYNs must cross within one NAT-to-NAT round trip and identical backoff on both sides
 * keeps them from ever crossing. A NAT that drops the SYN leaves the attempt pending until the
 * peer's SYN arrives through the hole (restarted after a stall timeout, harmlessly). Resolves `undefined` when the budget runs out (port-randomising NATs).
 */
export function punch(o: PunchOptions): Promise<Punched | undefined> {
  const until = Date.now() + o.budgetMs;
  return new Promise((resolve) => {
    let attempts = 0;
    let done = false;
    let current: Socket | undefined;
    let next: { cancel(): void } | undefined;
    let greeting = false;
    let expired = false;
    /** Smoothed time from SYN to RST (ms), once one was seen: sizes the stall timeout. */
    let refusalMs: number | undefined;
    const finish = (result: Punched | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(budgetTimer);
      next?.cancel();
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
      next = undefined;
      if (done) return;
      if (expired || Date.now() >= until) {
        finish(undefined);
        return;
      }
      attempts++;
      const started = performance.now();
      const socket = connect({ host: o.peer.host, port: o.peer.port, localPort: o.localPort, localAddress: o.localAddress, noDelay: true });
      current = socket;
      const stallMs = refusalMs === undefined ? MAX_STALL_MS : Math.min(Math.max(refusalMs * STALL_FACTOR, MIN_STALL_MS), MAX_STALL_MS);
      const stall = setTimeout(() => retry(false), stallMs);
      let retried = false;
      const retry = (refused: boolean) => {
        clearTimeout(stall);
        if (retried || done) return;
        retried = true;
        socket.destroy();
        const spent = performance.now() - started;
        if (refused) refusalMs = refusalMs === undefined ? spent : refusalMs * 0.8 + spent * 0.2;
        // At once (the RST round trip paced this attempt), never faster than the rate limit, with
        // sub-millisecond jitter so the two sides' attempts keep sliding past each other.
        next = runAt(started + Math.max(MIN_ATTEMPT_INTERVAL_MS, spent) + Math.random() * MAX_JITTER_MS, attempt);
      };
      // ECONNREFUSED (the RST) arrives as 'error'; retrying then, not at 'close', saves a loop turn.
      let connected = false;
      socket.on('error', () => {
        if (!connected) retry(true);
      });
      const onClose = () => retry(true);
      socket.once('close', onClose);
      socket.once('connect', () => {
        connected = true;
        clearTimeout(stall);
        socket.off('close', onClose);
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
            else retry(false);
          },
          () => {
            greeting = false;
            if (expired) finish(undefined);
            else retry(false);
          },
        );
      });
    };
    attempt();
  });
}

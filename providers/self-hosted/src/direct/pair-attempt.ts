import type { Socket } from 'node:net';
import { Deadline, FmiError, type Logger, raceSignal } from '@fmi/core';
import type { ControlConnection } from '../rendezvous/control-client.js';
import type { IntroFields, PairPath } from '../rendezvous/protocol.js';
import { openRelay } from '../rendezvous/relay-client.js';
import { encodeHello, type Hello, helloMatches, readHello } from './data-hello.js';
import { punch } from './hole-punch.js';
import { dialPrivate, localAddresses, orderPrivateEndpoints } from './private-dial.js';
import type { PrivateListener } from './private-listener.js';
import type { DirectSettings } from './settings.js';

export interface PairContext {
  readonly settings: DirectSettings;
  readonly job: string;
  readonly rank: number;
  readonly size: number;
  readonly control: ControlConnection;
  readonly listener: PrivateListener | undefined;
  readonly logger: Logger;
}

export interface Established {
  readonly socket: Socket;
  /** Bytes that came after the peer's hello. */
  readonly rest: Buffer;
  readonly path: PairPath;
  readonly ms: number;
  /** Punch attempts when the path is `punched`; connections dialled when it is `private` (initiator). */
  readonly attempts?: number;
}

/**
 * One pairing, from the server's INTRO to a connected socket. The candidates, in order:
 *
 * 1. private — the lower rank (the initiator) dials the other's self-reported endpoints while the
 *    other waits on its listener; works on one host and inside one VPC;
 * 2. punched — the initiator tells the server the private dial failed; the server sends PUNCH to
 *    both at once, and both run TCP simultaneous open from their control port;
 * 3. relay — when the punch budget runs out, each side opens a relay connection; the server splices
 *    them.
 *
 * Both sides walk the same steps because the server drives the transitions (PUNCH) and the relay
 * waits for both. The whole pairing is bounded by `connectTimeoutMs`.
 */
export class PairAttempt {
  private readonly controller = new AbortController();
  private readonly deadline: Deadline;
  private readonly signal: AbortSignal;
  private punchGo: () => void = () => {};
  private readonly punchSignal: Promise<void>;
  private punched = false;
  private readonly deadlineTimer: NodeJS.Timeout;

  constructor(
    readonly intro: IntroFields,
    private readonly ctx: PairContext,
  ) {
    this.deadline = new Deadline(ctx.settings.connectTimeoutMs, `[direct] pairing rank ${ctx.rank} with rank ${intro.peer}`);
    // One controller for failures and the deadline alike (cheaper than the Deadline's own signal
    // joined with AbortSignal.any: a pairing of 64 ranks makes thousands of these).
    this.signal = this.controller.signal;
    this.deadlineTimer = setTimeout(() => this.fail(this.deadline.timeoutError()), ctx.settings.connectTimeoutMs);
    this.deadlineTimer.unref();
    this.punchSignal = new Promise<void>((resolve) => {
      this.punchGo = resolve;
    });
  }

  /** The server sent PUNCH for this pair. */
  onPunch(): void {
    this.punched = true;
    this.punchGo();
  }

  /** The server dropped the pairing, the peer left, or the channel closes. */
  fail(error: FmiError): void {
    if (!this.controller.signal.aborted) this.controller.abort(error);
  }

  async run(): Promise<Established> {
    const started = Date.now();
    const { intro, ctx } = this;
    const paths = ctx.settings.paths;
    const where = `rank ${intro.peer}`;
    try {
      if (intro.initiator) {
        if (paths.includes('private')) {
          const endpoints = orderPrivateEndpoints(intro.endpoints, {
            peerObserved: intro.observed,
            ownObserved: ctx.control.observed,
            ownAddresses: localAddresses(),
          });
          const d = await dialPrivate({
            endpoints,
            token: intro.token,
            ownRank: ctx.rank,
            peer: intro.peer,
            connectMs: ctx.settings.privateTimeoutMs,
            cancel: this.signal,
          });
          if (d) return { ...this.established(d.socket, d.hello, 'private', started), attempts: d.dials };
        }
        this.throwIfAborted();
        this.step('private endpoints failed, asking the server to start punching');
        ctx.control.privateFailed(intro.pairId);
      } else if (paths.includes('private') && ctx.listener) {
        const listener = ctx.listener;
        const arrived = new Promise<{ socket: Socket; hello: Hello }>((resolve) =>
          listener.expect(intro.token, intro.peer, ctx.rank, (socket, hello) => resolve({ socket, hello })),
        );
        try {
          const first = await this.race(Promise.race([arrived, this.punchSignal.then(() => undefined)]));
          if (first) return this.established(first.socket, first.hello, 'private', started);
        } finally {
          listener.unexpect(intro.token);
        }
      }
      if (!this.punched) await this.race(this.punchSignal);
      if (paths.includes('punched')) {
        this.step(`punching from port ${ctx.control.localPort} to ${intro.observed.host}:${intro.observed.port}`);
        const p = await punch({
          peer: intro.observed,
          peerRank: intro.peer,
          ownRank: ctx.rank,
          token: intro.token,
          localPort: ctx.control.localPort,
          localAddress: ctx.control.localAddress,
          budgetMs: Math.min(ctx.settings.punchTimeoutMs, this.deadline.remaining()),
          cancel: this.signal,
        });
        if (p) return { ...this.established(p.socket, p.hello, 'punched', started), attempts: p.attempts };
        this.throwIfAborted();
        this.step('punching failed within its budget, opening a relay');
      }
      if (paths.includes('relay')) {
        const { socket, rest } = await openRelay({
          address: ctx.settings.address,
          job: ctx.job,
          rank: ctx.rank,
          size: ctx.size,
          secret: ctx.settings.secret,
          pairId: intro.pairId,
          signal: this.signal,
        });
        socket.write(encodeHello(intro.token, ctx.rank));
        let hello: Hello;
        try {
          hello = await readHello(socket, rest, this.signal, `relay to ${where}`);
        } catch (e) {
          socket.destroy();
          throw e;
        }
        if (!helloMatches(hello, intro.token, intro.peer)) {
          socket.destroy();
          throw new FmiError('protocol', `[direct] the relay to ${where} delivered a hello from someone else`, { channel: 'direct', peer: intro.peer });
        }
        return this.established(socket, hello, 'relay', started);
      }
      throw new FmiError('channel', `[direct] no path to ${where}: tried ${paths.join(', ')} — enable the relay (channels.direct.paths) or check the network`, {
        channel: 'direct',
        peer: intro.peer,
      });
    } finally {
      clearTimeout(this.deadlineTimer);
    }
  }

  private step(message: string): void {
    this.ctx.logger.debug(`[direct] rank ${this.ctx.rank} ↔ rank ${this.intro.peer} (pair ${this.intro.pairId}): ${message}`);
  }

  private established(socket: Socket, hello: Hello, path: PairPath, started: number): Established {
    this.ctx.control.paired(this.intro.pairId, path);
    return { socket, rest: hello.rest, path, ms: Date.now() - started };
  }

  private throwIfAborted(): void {
    if (this.signal.aborted) throw this.signal.reason;
  }

  /** Waits for `promise`, or rejects with the reason of a failure/deadline of this pairing. */
  private race<T>(promise: Promise<T>): Promise<T> {
    return raceSignal(promise, this.signal);
  }
}

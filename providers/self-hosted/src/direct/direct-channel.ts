import {
  type ChannelCapabilities,
  type ChannelModel,
  type ChannelOpenContext,
  type ChannelStats,
  channelModel,
  type Deadline,
  FmiError,
  invalidArgument,
  type Logger,
  type MessageChannel,
  type WaitOptions,
} from '@fmi/core';
import { ControlConnection } from '../rendezvous/control-client.js';
import type { IntroFields, PairPath } from '../rendezvous/protocol.js';
import { watchAbort } from './abort-watch.js';
import { MAX_PAYLOAD_BYTES, MAX_TAG_BYTES, tagByteLength } from './data-frame.js';
import { allocMessage, Inbox } from './inbox.js';
import { PairAttempt } from './pair-attempt.js';
import { PeerLink } from './peer-link.js';
import { PrivateListener } from './private-listener.js';
import type { DirectSettings } from './settings.js';

export const DIRECT_CAPABILITIES: ChannelCapabilities = {
  maxPayloadBytes: MAX_PAYLOAD_BYTES,
  atomicCounter: false,
  nativeWait: true,
  ttl: false,
};

/**
 * Default model. Latency 0.03 ms is one hop of Node `net` on loopback-class links (half a round
 * trip, notes/performance.md); 400 MB/s is what FMI measured between 2 GiB Lambda functions; the
 * price is the always-on rendezvous VM (t3.micro-class, $0.0134/h). `fmi calibrate` replaces them.
 */
export const DIRECT_MODEL: ChannelModel = channelModel({
  latencyMs: 0.03,
  bandwidthBytesPerMs: 400_000,
  pricePerHour: 0.0134,
});

interface PeerState {
  link?: PeerLink;
  /** Resolves with the link once the pairing completes. */
  connecting?: Promise<PeerLink>;
  settle?: { resolve(link: PeerLink): void; reject(error: FmiError): void };
  attempt?: PairAttempt;
  lost?: FmiError;
}

const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * The `direct` message channel: one TCP connection per pair of ranks, made on first use by either
 * side (lazy), through the rendezvous server (private endpoint, hole punching, relay). Lazy pairing
 * means `open()` costs one authenticated control connection per rank, and a job only pays for the
 * pairs its algorithms use (log2 N per rank for the tree and doubling collectives). The side that
 * does not start the pairing learns of it from the server, so a message sent before its receiver
 * calls `recv` is not lost: it waits in the inbox.
 */
export class DirectChannel implements MessageChannel {
  readonly name = 'direct';
  readonly kind = 'message' as const;
  readonly capabilities = DIRECT_CAPABILITIES;
  readonly model = DIRECT_MODEL;

  private readonly inbox = new Inbox();
  private readonly peers = new Map<number, PeerState>();
  private readonly attempts = new Map<number, PairAttempt>();
  private control: ControlConnection | undefined;
  private controlError: FmiError | undefined;
  private listener: PrivateListener | undefined;
  private logger: Logger = silentLogger;
  private rank = -1;
  private size = 0;
  private job = '';
  private closed: FmiError | undefined;
  private opened = false;

  constructor(private readonly settings: DirectSettings) {}

  async open(ctx: ChannelOpenContext): Promise<void> {
    if (this.opened) throw new FmiError('invalid-argument', '[direct] open() was called twice', { channel: 'direct' });
    this.opened = true;
    this.rank = ctx.rank;
    this.size = ctx.size;
    this.job = ctx.job;
    this.logger = ctx.logger;
    // A job of one rank only talks to itself: no server needed.
    if (ctx.size === 1) return;
    try {
      if (this.settings.paths.includes('private')) this.listener = await PrivateListener.start(this.settings.listenHost);
      this.control = await ControlConnection.open({
        address: this.settings.address,
        job: ctx.job,
        rank: ctx.rank,
        size: ctx.size,
        secret: this.settings.secret,
        endpoints: this.listener?.endpoints(this.settings.listenHost) ?? [],
        deadline: ctx.deadline,
        events: {
          intro: (intro) => this.onIntro(intro),
          punch: (pairId) => this.attempts.get(pairId)?.onPunch(),
          peerGone: (peer) => this.onPeerGone(peer),
          pairFailed: (pairId, peer, error) => this.onPairFailed(pairId, peer, error),
          closed: (error) => this.onControlClosed(error),
        },
      });
    } catch (e) {
      this.listener?.close();
      this.listener = undefined;
      throw e;
    }
    this.control.start();
    this.logger.debug('[direct] connected to the rendezvous server', {
      rank: this.rank,
      observed: `${this.control.observed.host}:${this.control.observed.port}`,
      localPort: this.control.localPort,
    });
  }

  send(peer: number, tag: string, data: Uint8Array, options: WaitOptions): Promise<void> {
    const tagBytes = this.check(peer, tag);
    if (data.byteLength > MAX_PAYLOAD_BYTES)
      return Promise.reject(invalidArgument('data', `${data.byteLength} bytes exceed the direct channel's limit of ${MAX_PAYLOAD_BYTES}`));
    if (peer === this.rank) {
      // The caller may reuse its buffer once send resolves, so the inbox gets a copy.
      const copy = allocMessage(data.byteLength);
      copy.set(data);
      this.inbox.deliver(peer, tag, copy);
      return Promise.resolve();
    }
    const link = this.peers.get(peer)?.link;
    if (link) return link.send(tag, tagBytes, data, options.deadline);
    return this.linkTo(peer, options.deadline).then((l) => l.send(tag, tagBytes, data, options.deadline));
  }

  recv(peer: number, tag: string, options: WaitOptions & { into?: Uint8Array }): Promise<Uint8Array> {
    this.check(peer, tag);
    return this.inbox.recv(peer, tag, options.into, options.deadline);
  }

  stats(): ChannelStats {
    const paths: Record<string, PairPath> = {};
    for (const [peer, st] of this.peers) if (st.link) paths[String(peer)] = st.link.path;
    return { paths, ...this.inbox.counts(), pairing: this.attempts.size, rendezvous: this.control?.isOpen ?? false };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const error = new FmiError('closed', '[direct] the channel is closed', { channel: 'direct' });
    this.closed = error;
    for (const attempt of this.attempts.values()) attempt.fail(error);
    const links: Promise<void>[] = [];
    for (const [peer, st] of this.peers) {
      st.settle?.reject(error);
      if (st.link) links.push(st.link.close(2_000));
      this.inbox.fail(peer, error);
    }
    await Promise.all(links);
    this.control?.close();
    this.listener?.close();
  }

  /** Cuts every connection at once, as a crashed rank would. For tests of peer loss. */
  destroy(): void {
    this.closed = new FmiError('closed', '[direct] the channel was destroyed', { channel: 'direct' });
    for (const attempt of this.attempts.values()) attempt.fail(this.closed);
    for (const st of this.peers.values()) st.link?.destroy();
    this.control?.close();
    this.listener?.close();
  }

  private check(peer: number, tag: string): number {
    if (this.closed) throw this.closed;
    if (!this.opened) throw new FmiError('invalid-argument', '[direct] the channel is not open', { channel: 'direct' });
    if (!Number.isInteger(peer) || peer < 0 || peer >= this.size) throw invalidArgument('peer', `rank ${peer} is not in 0..${this.size - 1}`);
    const tagBytes = tagByteLength(tag);
    if (tagBytes > MAX_TAG_BYTES) throw invalidArgument('tag', `"${tag.slice(0, 40)}…" is ${tagBytes} bytes of UTF-8, at most ${MAX_TAG_BYTES}`);
    return tagBytes;
  }

  private state(peer: number): PeerState {
    let st = this.peers.get(peer);
    if (!st) {
      st = {};
      this.peers.set(peer, st);
    }
    return st;
  }

  /** The link to `peer`, asking the server for a pairing if there is none yet. */
  private linkTo(peer: number, deadline: Deadline): Promise<PeerLink> {
    const st = this.state(peer);
    if (st.lost) return Promise.reject(st.lost);
    if (!st.connecting) {
      if (!this.control?.isOpen) {
        return Promise.reject(
          this.controlError ??
            new FmiError('channel', `[direct] cannot pair with rank ${peer}: no connection to the rendezvous server`, { channel: 'direct', peer }),
        );
      }
      this.expectPairing(peer, st);
      this.control.requestPeer(peer);
    }
    const connecting = st.connecting as Promise<PeerLink>;
    const signal = deadline.signal;
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<PeerLink>((resolve, reject) => {
      const unwatch = watchAbort(signal, () => reject(signal.reason));
      connecting.then(
        (l) => {
          unwatch();
          resolve(l);
        },
        (e) => {
          unwatch();
          reject(e);
        },
      );
    });
  }

  private expectPairing(_peer: number, st: PeerState): void {
    st.connecting = new Promise<PeerLink>((resolve, reject) => {
      st.settle = { resolve, reject };
    });
    // Nobody may be waiting when a pairing fails (the peer asked first); that is not an error here.
    st.connecting.catch(() => {});
  }

  private onIntro(intro: IntroFields): void {
    const peer = intro.peer;
    if (this.closed || peer >= this.size || peer === this.rank || !this.control) return;
    const st = this.state(peer);
    if (st.link || st.lost || st.attempt) return;
    if (!st.connecting) this.expectPairing(peer, st);
    const attempt = new PairAttempt(intro, {
      settings: this.settings,
      job: this.job,
      rank: this.rank,
      size: this.size,
      control: this.control,
      listener: this.listener,
      logger: this.logger,
    });
    st.attempt = attempt;
    this.attempts.set(intro.pairId, attempt);
    attempt.run().then(
      (done) => {
        this.attempts.delete(intro.pairId);
        st.attempt = undefined;
        if (this.closed) {
          done.socket.destroy();
          return;
        }
        const link = new PeerLink(peer, done.path, done.socket, this.inbox, MAX_PAYLOAD_BYTES, done.rest, (p, error) => this.onLinkLost(p, error));
        st.link = link;
        this.logger.debug(`[direct] rank ${this.rank} ↔ rank ${peer}: ${done.path}`, {
          rank: this.rank,
          peer,
          path: done.path,
          ms: done.ms,
          attempts: done.attempts,
        });
        st.settle?.resolve(link);
        st.settle = undefined;
      },
      (e: unknown) => {
        this.attempts.delete(intro.pairId);
        st.attempt = undefined;
        const error = FmiError.is(e)
          ? e
          : new FmiError('channel', `[direct] pairing with rank ${peer} failed: ${String(e)}`, { cause: e, channel: 'direct', peer });
        this.logger.debug(`[direct] rank ${this.rank} ↔ rank ${peer}: pairing failed`, { peer, error: error.message });
        this.failPairing(peer, st, error);
      },
    );
  }

  /** A failed pairing: a lost peer is final; any other failure lets the next operation try again. */
  private failPairing(peer: number, st: PeerState, error: FmiError): void {
    st.settle?.reject(error);
    st.settle = undefined;
    st.connecting = undefined;
    if (error.kind === 'peer-lost') this.markLost(peer, error);
  }

  private onPeerGone(peer: number): void {
    const st = this.peers.get(peer) ?? this.state(peer);
    // With a link, the link's own close says when the last byte has arrived; a running attempt
    // ends by itself. Without either, the peer cannot have sent anything: it is lost now.
    if (st.link || st.attempt) return;
    const error = new FmiError(
      'peer-lost',
      `[direct] rank ${peer} left the job (the rendezvous server saw it disconnect) before it connected to rank ${this.rank}`,
      { channel: 'direct', peer },
    );
    this.failPairing(peer, st, error);
    this.markLost(peer, error);
  }

  private onPairFailed(pairId: number, peer: number, error: FmiError): void {
    const attempt = this.attempts.get(pairId);
    if (attempt) {
      attempt.fail(error);
      return;
    }
    const st = this.peers.get(peer);
    if (st && !st.attempt && !st.link) this.failPairing(peer, st, error);
  }

  private onControlClosed(error: FmiError): void {
    if (this.controlError) return;
    this.controlError = error;
    if (!this.closed) this.logger.warn(error.message, { rank: this.rank });
    for (const attempt of this.attempts.values()) attempt.fail(error);
    for (const [peer, st] of this.peers) if (!st.link && !st.attempt) this.failPairing(peer, st, error);
  }

  private onLinkLost(peer: number, error: FmiError): void {
    this.markLost(peer, error);
  }

  private markLost(peer: number, error: FmiError): void {
    const st = this.state(peer);
    if (!st.lost) st.lost = error;
    this.inbox.fail(peer, error);
  }
}

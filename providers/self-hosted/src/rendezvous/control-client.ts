import type { Socket } from 'node:net';
import { type Deadline, FmiError } from '@fmi/core';
import type { RendezvousAddress } from './address.js';
import { handshake, serverError } from './handshake.js';
import {
  decodeError,
  decodeIntro,
  decodePairFailed,
  decodeU32,
  type Endpoint,
  encodePaired,
  encodeU32,
  type Frame,
  type FrameDecoder,
  type IntroFields,
  MessageType,
  type PairPath,
  PayloadReader,
  Role,
} from './protocol.js';

/** What the server tells a rank on its control connection. */
export interface ControlEvents {
  intro(intro: IntroFields): void;
  punch(pairId: number): void;
  peerGone(rank: number): void;
  pairFailed(pairId: number, peer: number, error: FmiError): void;
  /** The control connection is gone (server down, protocol error, or `close()`). */
  closed(error: FmiError): void;
}

export interface ControlOptions {
  readonly address: RendezvousAddress;
  readonly job: string;
  readonly rank: number;
  readonly size: number;
  readonly secret: string;
  /** This rank's self-reported (private) endpoints. */
  readonly endpoints: readonly Endpoint[];
  readonly deadline: Deadline;
  readonly events: ControlEvents;
}

/**
 * A rank's control connection to the rendezvous server. It stays open for the channel's life:
 * the server introduces peers over it, and its explicitly bound local port (with its NAT mapping,
 * which the open connection keeps alive) is the port hole punching connects from.
 */
export class ControlConnection {
  /** This rank as the server sees it: the public side of its NAT. */
  readonly observed: Endpoint;
  readonly localPort: number;
  /** `0.0.0.0` or `::`, the wildcard of the family that reaches the server. */
  readonly localAddress: string;
  private closing = false;
  private corked = false;
  private readonly where: string;

  private constructor(
    private readonly socket: Socket,
    private readonly decoder: FrameDecoder,
    welcome: Frame,
    private readonly options: ControlOptions,
  ) {
    this.where = `${options.address.host}:${options.address.port}`;
    const r = new PayloadReader(welcome.payload, 'WELCOME');
    this.observed = r.endpoint();
    r.end();
    this.localPort = socket.localPort ?? 0;
    this.localAddress = socket.localFamily === 'IPv6' ? '::' : '0.0.0.0';
    socket.on('data', (chunk: Buffer) => {
      this.decoder.append(chunk);
      this.drain();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      const error = this.closing
        ? new FmiError('closed', '[direct] the channel is closed', { channel: 'direct' })
        : new FmiError(
            'channel',
            `[direct] lost the connection to the rendezvous server at ${this.where}; connected peers keep working, new pairs cannot be made`,
            { channel: 'direct' },
          );
      this.options.events.closed(error);
    });
  }

  /**
   * Starts delivering events. Separate from `open()` because the server may send an INTRO in the
   * same segment as WELCOME: the owner must hold this object before the first event reaches it.
   */
  start(): void {
    this.socket.resume();
    this.drain();
  }

  /** Connects and authenticates; fails with `auth` for a wrong secret. Call `start()` next. */
  static async open(options: ControlOptions): Promise<ControlConnection> {
    const { socket, decoder, answer } = await handshake(
      options.address,
      { role: Role.Control, job: options.job, rank: options.rank, size: options.size, pairId: 0, endpoints: options.endpoints },
      options.secret,
      options.deadline.signal,
    );
    return new ControlConnection(socket, decoder, answer, options);
  }

  /** Asks the server to introduce this rank to `peer` (answered by `intro`, `pairFailed` or `peerGone`). */
  requestPeer(peer: number): void {
    this.write(encodeU32(MessageType.Connect, peer));
  }

  privateFailed(pairId: number): void {
    this.write(encodeU32(MessageType.PrivateFailed, pairId));
  }

  paired(pairId: number, path: PairPath): void {
    this.write(encodePaired(pairId, path));
  }

  get isOpen(): boolean {
    return !this.socket.destroyed && !this.closing;
  }

  close(): void {
    this.closing = true;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1_000).unref();
  }

  private write(frame: Buffer): void {
    if (this.socket.destroyed) return;
    // Frames written in one turn (a collective's first sends ask for several peers at once) leave
    // in one write.
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(frame);
  }

  private drain(): void {
    try {
      for (;;) {
        const frame = this.decoder.next();
        if (!frame) return;
        this.dispatch(frame);
      }
    } catch (e) {
      const error = FmiError.is(e) ? e : new FmiError('protocol', `[direct] ${(e as Error).message}`, { cause: e });
      this.socket.destroy();
      this.options.events.closed(error);
    }
  }

  private dispatch(frame: Frame): void {
    const events = this.options.events;
    switch (frame.type) {
      case MessageType.Intro:
        events.intro(decodeIntro(frame.payload));
        return;
      case MessageType.Punch:
        events.punch(decodeU32(frame.payload, 'PUNCH'));
        return;
      case MessageType.PeerGone:
        events.peerGone(decodeU32(frame.payload, 'PEER_GONE'));
        return;
      case MessageType.PairFailed: {
        const f = decodePairFailed(frame.payload);
        events.pairFailed(f.pairId, f.peer, serverError(f.code, f.message, this.where, f.peer));
        return;
      }
      case MessageType.Error: {
        const { code, message } = decodeError(frame.payload);
        throw serverError(code, message, this.where);
      }
      default:
        throw new FmiError('protocol', `[direct] unexpected frame type ${frame.type} from the rendezvous server at ${this.where}`);
    }
  }
}

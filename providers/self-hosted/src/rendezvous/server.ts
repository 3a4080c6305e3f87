import { randomBytes } from 'node:crypto';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { FmiError, type Logger } from '@fmi/core';
import { authProof, deriveJobSecret, newNonce, proofMatches } from './job-secret.js';
import {
  decodeAuth,
  decodePaired,
  decodeU32,
  type Endpoint,
  ErrorCode,
  type ErrorCodeValue,
  encodeError,
  encodeIntro,
  encodePairFailed,
  encodeU32,
  type Frame,
  FrameBuilder,
  FrameDecoder,
  MessageType,
  normalizeAddress,
  PAIR_TOKEN_BYTES,
  Role,
} from './protocol.js';

/** Every bound of the server. Defaults suit one VM serving many jobs of up to a few thousand ranks. */
export interface RendezvousLimits {
  /** Open TCP connections, all jobs together (authenticated or not). */
  readonly maxConnections: number;
  /** Jobs known at once (a job is known while a rank is connected, and `jobLingerMs` after). */
  readonly maxJobs: number;
  /** Largest world size a job may declare. */
  readonly maxRanksPerJob: number;
  /** Pairings of one job not yet completed (pending, punching, waiting for the relay). */
  readonly maxPendingPairsPerJob: number;
  /** A new connection must authenticate within this time. */
  readonly authTimeoutMs: number;
  /** A pairing not completed within this time is dropped, and both sides are told. */
  readonly pairTimeoutMs: number;
  /** How long a job's state (who left) is kept after its last rank disconnected. */
  readonly jobLingerMs: number;
  /** Relayed pairs of one job at once. */
  readonly maxRelaysPerJob: number;
  /** Bytes the relay carries for one job, both directions together, over the job's life. */
  readonly maxRelayBytesPerJob: number;
  /** A client that does not read its control frames is dropped beyond this much unsent data. */
  readonly maxQueuedBytesPerConnection: number;
}

export const DEFAULT_RENDEZVOUS_LIMITS: RendezvousLimits = {
  maxConnections: 20_000,
  maxJobs: 1_000,
  maxRanksPerJob: 4_096,
  maxPendingPairsPerJob: 16_384,
  authTimeoutMs: 10_000,
  pairTimeoutMs: 60_000,
  jobLingerMs: 60_000,
  maxRelaysPerJob: 1_024,
  maxRelayBytesPerJob: 64 * 1024 ** 3,
  maxQueuedBytesPerConnection: 1024 * 1024,
};

export interface RendezvousServerOptions {
  /** Interface to listen on. Default `::` (IPv6 and IPv4, dual stack), falling back to `0.0.0.0`. */
  readonly host?: string;
  /** Port; 0 picks a free one. Default 10000. */
  readonly port?: number;
  /** Key from which job secrets derive (see `deriveJobSecret`). Never logged. */
  readonly serverKey: string;
  readonly limits?: Partial<RendezvousLimits>;
  readonly logger?: Logger;
}

export interface RendezvousServerStats {
  readonly connections: number;
  readonly jobs: number;
  readonly pendingPairs: number;
  readonly relays: number;
  readonly relayBytes: number;
  readonly rejectedFrames: number;
  readonly rejectedAuth: number;
}

type ConnState = 'auth' | 'control' | 'relay-wait' | 'spliced' | 'closed';

interface Conn {
  readonly socket: Socket;
  readonly decoder: FrameDecoder;
  readonly nonce: Buffer;
  readonly observed: Endpoint;
  state: ConnState;
  authTimer: NodeJS.Timeout | undefined;
  job?: Job;
  rank?: number;
  endpoints?: readonly Endpoint[];
}

interface Pair {
  readonly id: number;
  /** Lower rank: dials the private endpoint. */
  readonly a: number;
  readonly b: number;
  readonly key: string;
  readonly token: Buffer;
  state: 'pending' | 'introduced' | 'punching';
  readonly paired: Set<number>;
  readonly relay: Map<number, Conn>;
  timer: NodeJS.Timeout;
}

interface Job {
  readonly id: string;
  readonly size: number;
  readonly controls: Map<number, Conn>;
  readonly departed: Set<number>;
  readonly pairs: Map<string, Pair>;
  readonly pairsById: Map<number, Pair>;
  relays: number;
  relayBytes: number;
  lingerTimer: NodeJS.Timeout | undefined;
}

const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * The rendezvous server: authenticates ranks of a job, introduces the two sides of a pair to each
 * other, tells both to punch at the same moment, and splices their connections when punching fails.
 * Every resource is bounded (`RendezvousLimits`); a misbehaving client loses its own connection
 * and nothing else.
 */
export class RendezvousServer {
  private readonly limits: RendezvousLimits;
  private readonly logger: Logger;
  private readonly server: Server;
  private readonly jobs = new Map<string, Job>();
  private readonly conns = new Set<Conn>();
  private nextPairId = 1;
  private rejectedFrames = 0;
  private rejectedAuth = 0;
  private relayBytesTotal = 0;
  private listening: AddressInfo | undefined;
  /**
   * Sockets written to while one chunk of frames is handled: corked, and uncorked once the chunk is
   * done, so the 63 INTROs that a burst of CONNECTs from one rank produces leave in one write.
   */
  private batch: Set<Socket> | undefined;

  constructor(private readonly options: RendezvousServerOptions) {
    if (!options.serverKey) throw new FmiError('config', '[rendezvous] a server key is required (it derives every job secret)', { field: 'serverKey' });
    this.limits = { ...DEFAULT_RENDEZVOUS_LIMITS, ...options.limits };
    this.logger = options.logger ?? silentLogger;
    // allowHalfOpen: a relayed side that finishes sending must still receive the other's last bytes.
    this.server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.accept(socket));
    this.server.maxConnections = this.limits.maxConnections;
  }

  /** Starts listening; resolves with the bound address. */
  async listen(): Promise<AddressInfo> {
    const port = this.options.port ?? 10_000;
    const host = this.options.host;
    const tryListen = (h: string, ipv6Only?: boolean) =>
      new Promise<void>((resolve, reject) => {
        const onError = (e: Error) => reject(e);
        this.server.once('error', onError);
        this.server.listen({ host: h, port, ipv6Only }, () => {
          this.server.off('error', onError);
          resolve();
        });
      });
    try {
      if (host) await tryListen(host);
      else {
        try {
          await tryListen('::', false);
        } catch (e) {
          // Hosts without IPv6 refuse '::'; IPv4 alone is then all there is.
          if ((e as NodeJS.ErrnoException).code !== 'EAFNOSUPPORT' && (e as NodeJS.ErrnoException).code !== 'EADDRNOTAVAIL') throw e;
          await tryListen('0.0.0.0');
        }
      }
    } catch (e) {
      throw new FmiError('config', `[rendezvous] cannot listen on ${host ?? '::'}:${port}: ${(e as Error).message}`, { cause: e, field: 'port' });
    }
    this.listening = this.server.address() as AddressInfo;
    this.logger.info('[rendezvous] listening', { address: this.listening.address, port: this.listening.port });
    return this.listening;
  }

  /** The bound address, after `listen()`. */
  get address(): AddressInfo {
    if (!this.listening) throw new FmiError('closed', '[rendezvous] server is not listening');
    return this.listening;
  }

  stats(): RendezvousServerStats {
    let pendingPairs = 0;
    let relays = 0;
    for (const job of this.jobs.values()) {
      pendingPairs += job.pairs.size;
      relays += job.relays;
    }
    return {
      connections: this.conns.size,
      jobs: this.jobs.size,
      pendingPairs,
      relays,
      relayBytes: this.relayBytesTotal,
      rejectedFrames: this.rejectedFrames,
      rejectedAuth: this.rejectedAuth,
    };
  }

  /** Stops listening and drops every connection. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const conn of this.conns) conn.socket.destroy();
    for (const job of this.jobs.values()) {
      for (const pair of job.pairs.values()) clearTimeout(pair.timer);
      if (job.lingerTimer) clearTimeout(job.lingerTimer);
    }
    this.jobs.clear();
    await closed;
  }

  private accept(socket: Socket): void {
    const conn: Conn = {
      socket,
      decoder: new FrameDecoder(),
      nonce: newNonce(),
      observed: { host: normalizeAddress(socket.remoteAddress), port: socket.remotePort ?? 0 },
      state: 'auth',
      authTimer: undefined,
    };
    this.conns.add(conn);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 15_000);
    conn.authTimer = setTimeout(() => this.reject(conn, ErrorCode.Auth, `no authentication within ${this.limits.authTimeoutMs} ms`), this.limits.authTimeoutMs);
    socket.on('data', (chunk: Buffer) => this.onData(conn, chunk));
    socket.on('end', () => {
      if (conn.state !== 'spliced') socket.end();
    });
    socket.on('error', () => {});
    socket.on('close', () => this.onClose(conn));
    this.send(conn, new FrameBuilder().bytes(conn.nonce).frame(MessageType.Challenge));
  }

  private onData(conn: Conn, chunk: Buffer): void {
    if (conn.state === 'closed' || conn.state === 'spliced') return;
    const batch = new Set<Socket>();
    this.batch = batch;
    try {
      this.onChunk(conn, chunk);
    } finally {
      this.batch = undefined;
      for (const socket of batch) socket.uncork();
    }
  }

  private onChunk(conn: Conn, chunk: Buffer): void {
    try {
      const frames = conn.decoder.push(chunk);
      for (const frame of frames) {
        if ((conn.state as ConnState) === 'closed') return;
        this.onFrame(conn, frame);
      }
      if (conn.state === 'relay-wait' && conn.decoder.takeRest().length > 0) {
        throw new FmiError('protocol', '[rendezvous] bytes sent on a relay connection before RELAY_READY');
      }
    } catch (e) {
      this.rejectedFrames++;
      const message = FmiError.is(e) ? e.message.replace(/^\[fmi\] /, '') : String(e);
      this.reject(conn, ErrorCode.Protocol, message);
    }
  }

  private onFrame(conn: Conn, frame: Frame): void {
    if (conn.state === 'auth') {
      if (frame.type !== MessageType.Auth) throw new FmiError('protocol', `[rendezvous] expected AUTH, got frame type ${frame.type}`);
      this.authenticate(conn, frame.payload);
      return;
    }
    if (conn.state !== 'control') throw new FmiError('protocol', `[rendezvous] unexpected frame type ${frame.type} on a relay connection`);
    const job = conn.job as Job;
    const rank = conn.rank as number;
    switch (frame.type) {
      case MessageType.Connect:
        this.onConnect(job, rank, decodeU32(frame.payload, 'CONNECT'));
        return;
      case MessageType.PrivateFailed: {
        const pair = this.pairOf(job, rank, decodeU32(frame.payload, 'PRIVATE_FAILED'));
        if (pair && pair.state === 'introduced') {
          pair.state = 'punching';
          // Both sides get PUNCH in the same turn of the event loop: their SYNs must cross.
          const punch = encodeU32(MessageType.Punch, pair.id);
          for (const r of [pair.a, pair.b]) {
            const c = job.controls.get(r);
            if (c) this.send(c, punch);
          }
        }
        return;
      }
      case MessageType.Paired: {
        const { pairId, path } = decodePaired(frame.payload);
        const pair = this.pairOf(job, rank, pairId);
        if (pair) {
          pair.paired.add(rank);
          this.logger.debug('[rendezvous] pair connected', { job: job.id, a: pair.a, b: pair.b, path, by: rank });
          if (pair.paired.size === 2) this.dropPair(job, pair);
        }
        return;
      }
      default:
        throw new FmiError('protocol', `[rendezvous] unexpected frame type ${frame.type} on a control connection`);
    }
  }

  private authenticate(conn: Conn, payload: Buffer): void {
    const auth = decodeAuth(payload);
    const expected = authProof(deriveJobSecret(this.options.serverKey, auth.job), conn.nonce, auth.signed);
    if (!proofMatches(expected, auth.proof)) {
      this.rejectedAuth++;
      this.reject(
        conn,
        ErrorCode.Auth,
        `authentication failed for job "${auth.job}" rank ${auth.rank}: the proof does not match the job secret — check FMI_SECRET (derive it from this server's key)`,
      );
      return;
    }
    if (auth.size < 1 || auth.size > this.limits.maxRanksPerJob || auth.rank >= auth.size) {
      this.reject(conn, ErrorCode.Config, `rank ${auth.rank} of size ${auth.size} is out of range (size 1..${this.limits.maxRanksPerJob})`);
      return;
    }
    let job = this.jobs.get(auth.job);
    if (!job) {
      if (this.jobs.size >= this.limits.maxJobs) {
        this.reject(conn, ErrorCode.Limit, `the server already serves ${this.limits.maxJobs} jobs — retry later or raise maxJobs`);
        return;
      }
      job = {
        id: auth.job,
        size: auth.size,
        controls: new Map(),
        departed: new Set(),
        pairs: new Map(),
        pairsById: new Map(),
        relays: 0,
        relayBytes: 0,
        lingerTimer: undefined,
      };
      this.jobs.set(auth.job, job);
    }
    if (job.size !== auth.size) {
      this.reject(conn, ErrorCode.Config, `job "${job.id}" has size ${job.size}, rank ${auth.rank} says ${auth.size} — every rank must use the same FMI_SIZE`);
      return;
    }
    if (job.lingerTimer) {
      clearTimeout(job.lingerTimer);
      job.lingerTimer = undefined;
    }
    clearTimeout(conn.authTimer);
    conn.authTimer = undefined;
    conn.job = job;
    conn.rank = auth.rank;
    if (auth.role === Role.Control) {
      if (job.controls.has(auth.rank)) {
        this.reject(conn, ErrorCode.DuplicateRank, `rank ${auth.rank} of job "${job.id}" is already connected — two ranks share one FMI_RANK`);
        return;
      }
      conn.state = 'control';
      conn.endpoints = auth.endpoints;
      job.controls.set(auth.rank, conn);
      job.departed.delete(auth.rank);
      this.send(conn, new FrameBuilder().endpoint(conn.observed).frame(MessageType.Welcome));
      this.logger.debug('[rendezvous] rank joined', { job: job.id, rank: auth.rank, observed: `${conn.observed.host}:${conn.observed.port}` });
      for (const pair of job.pairs.values()) {
        if (pair.state === 'pending' && (pair.a === auth.rank || pair.b === auth.rank)) this.introduceIfReady(job, pair);
      }
      return;
    }
    this.attachRelay(conn, job, auth.rank, auth.pairId);
  }

  private onConnect(job: Job, rank: number, peer: number): void {
    const control = job.controls.get(rank) as Conn;
    if (peer >= job.size || peer === rank) {
      this.send(
        control,
        encodePairFailed(0, peer, ErrorCode.Config, `rank ${rank} asked for peer ${peer}, which is not another rank of a job of size ${job.size}`),
      );
      return;
    }
    const key = rank < peer ? `${rank}:${peer}` : `${peer}:${rank}`;
    if (job.pairs.has(key)) return; // Both sides asked at once: one pairing serves both.
    if (job.departed.has(peer) && !job.controls.has(peer)) {
      this.send(control, encodeU32(MessageType.PeerGone, peer));
      return;
    }
    if (job.pairs.size >= this.limits.maxPendingPairsPerJob) {
      this.send(control, encodePairFailed(0, peer, ErrorCode.Limit, `job "${job.id}" has ${job.pairs.size} pairings in progress, the server's limit`));
      return;
    }
    const id = this.nextPairId;
    this.nextPairId = this.nextPairId >= 0xffff_fff0 ? 1 : this.nextPairId + 1;
    const pair: Pair = {
      id,
      a: Math.min(rank, peer),
      b: Math.max(rank, peer),
      key,
      token: randomBytes(PAIR_TOKEN_BYTES),
      state: 'pending',
      paired: new Set(),
      relay: new Map(),
      timer: setTimeout(() => this.expirePair(job, pair), this.limits.pairTimeoutMs),
    };
    job.pairs.set(key, pair);
    job.pairsById.set(id, pair);
    this.introduceIfReady(job, pair);
  }

  private introduceIfReady(job: Job, pair: Pair): void {
    const a = job.controls.get(pair.a);
    const b = job.controls.get(pair.b);
    if (!a || !b) return;
    pair.state = 'introduced';
    this.send(a, encodeIntro({ pairId: pair.id, peer: pair.b, token: pair.token, initiator: true, observed: b.observed, endpoints: b.endpoints ?? [] }));
    this.send(b, encodeIntro({ pairId: pair.id, peer: pair.a, token: pair.token, initiator: false, observed: a.observed, endpoints: a.endpoints ?? [] }));
  }

  private attachRelay(conn: Conn, job: Job, rank: number, pairId: number): void {
    const pair = job.pairsById.get(pairId);
    if (!pair || (pair.a !== rank && pair.b !== rank) || pair.state === 'pending') {
      this.reject(conn, ErrorCode.Expired, `relay for pair ${pairId} of job "${job.id}": no such pairing in progress (expired or never introduced)`);
      return;
    }
    if (pair.relay.has(rank)) {
      this.reject(conn, ErrorCode.DuplicateRank, `rank ${rank} already waits for the relay of pair ${pairId}`);
      return;
    }
    if (pair.relay.size === 0 && job.relays >= this.limits.maxRelaysPerJob) {
      this.reject(conn, ErrorCode.Limit, `job "${job.id}" already relays ${job.relays} pairs, the server's limit`);
      return;
    }
    if (pair.relay.size === 0) job.relays++;
    conn.state = 'relay-wait';
    pair.relay.set(rank, conn);
    if (pair.relay.size === 2) {
      const x = pair.relay.get(pair.a) as Conn;
      const y = pair.relay.get(pair.b) as Conn;
      pair.relay.clear(); // The pair's connections now belong to the splice.
      this.dropPair(job, pair);
      this.splice(job, x, y);
    }
  }

  /** Joins two relay connections: bytes only, counted against the job's budget, with backpressure. */
  private splice(job: Job, x: Conn, y: Conn): void {
    const ready = encodeU32(MessageType.RelayReady, 0);
    let released = false;
    const release = () => {
      if (!released) {
        released = true;
        job.relays--;
        this.maybeForgetJob(job);
      }
    };
    for (const [from, to] of [
      [x, y],
      [y, x],
    ] as const) {
      from.state = 'spliced';
      from.socket.removeAllListeners('data');
      from.socket.removeAllListeners('end');
      from.socket.on('data', (chunk: Buffer) => {
        job.relayBytes += chunk.length;
        this.relayBytesTotal += chunk.length;
        if (job.relayBytes > this.limits.maxRelayBytesPerJob) {
          this.logger.warn('[rendezvous] relay byte budget of job exhausted, closing its relays', { job: job.id, limit: this.limits.maxRelayBytesPerJob });
          from.socket.destroy();
          to.socket.destroy();
          return;
        }
        if (!to.socket.write(chunk)) from.socket.pause();
      });
      to.socket.on('drain', () => from.socket.resume());
      from.socket.on('end', () => to.socket.end());
      from.socket.on('close', (hadError) => {
        release();
        if (hadError || !to.socket.writable) to.socket.destroy();
        else to.socket.end();
      });
      this.send(from, ready);
    }
    this.logger.debug('[rendezvous] relaying pair', { job: job.id, a: x.rank, b: y.rank });
  }

  private pairOf(job: Job, rank: number, pairId: number): Pair | undefined {
    const pair = job.pairsById.get(pairId);
    return pair && (pair.a === rank || pair.b === rank) ? pair : undefined;
  }

  private expirePair(job: Job, pair: Pair): void {
    if (job.pairsById.get(pair.id) !== pair) return;
    const message = `pairing of ranks ${pair.a} and ${pair.b} of job "${job.id}" did not complete within ${this.limits.pairTimeoutMs} ms`;
    for (const [r, other] of [
      [pair.a, pair.b],
      [pair.b, pair.a],
    ]) {
      const c = job.controls.get(r);
      if (c) this.send(c, encodePairFailed(pair.id, other, ErrorCode.Expired, message));
    }
    for (const c of pair.relay.values()) this.reject(c, ErrorCode.Expired, message);
    if (pair.relay.size > 0) job.relays--;
    pair.relay.clear();
    this.dropPair(job, pair);
  }

  private dropPair(job: Job, pair: Pair): void {
    clearTimeout(pair.timer);
    job.pairs.delete(pair.key);
    job.pairsById.delete(pair.id);
    this.maybeForgetJob(job);
  }

  private onClose(conn: Conn): void {
    const previous = conn.state;
    conn.state = 'closed';
    this.conns.delete(conn);
    if (conn.authTimer) clearTimeout(conn.authTimer);
    const job = conn.job;
    if (!job || conn.rank === undefined) return;
    const rank = conn.rank;
    if (previous === 'control' && job.controls.get(rank) === conn) {
      job.controls.delete(rank);
      job.departed.add(rank);
      const gone = encodeU32(MessageType.PeerGone, rank);
      for (const c of job.controls.values()) this.send(c, gone);
      for (const pair of [...job.pairs.values()]) {
        if (pair.a !== rank && pair.b !== rank) continue;
        const other = pair.a === rank ? pair.b : pair.a;
        const c = job.controls.get(other);
        if (c) this.send(c, encodePairFailed(pair.id, rank, ErrorCode.PeerGone, `rank ${rank} left the job`));
        for (const rc of pair.relay.values()) rc.socket.destroy();
        if (pair.relay.size > 0) job.relays--;
        pair.relay.clear();
        this.dropPair(job, pair);
      }
    } else if (previous === 'relay-wait') {
      for (const pair of job.pairs.values()) {
        if (pair.relay.get(rank) === conn) {
          pair.relay.delete(rank);
          if (pair.relay.size === 0) job.relays--;
        }
      }
    }
    this.maybeForgetJob(job);
  }

  /** A job with nobody connected is forgotten after `jobLingerMs` (it keeps who left until then). */
  private maybeForgetJob(job: Job): void {
    if (job.controls.size > 0 || job.pairs.size > 0 || job.relays > 0 || job.lingerTimer) return;
    if (this.jobs.get(job.id) !== job) return;
    job.lingerTimer = setTimeout(() => {
      if (job.controls.size === 0 && job.pairs.size === 0 && job.relays === 0) this.jobs.delete(job.id);
      job.lingerTimer = undefined;
    }, this.limits.jobLingerMs);
    job.lingerTimer.unref();
  }

  private send(conn: Conn, frame: Buffer): void {
    if (conn.state === 'closed' || conn.socket.destroyed) return;
    if (conn.socket.writableLength > this.limits.maxQueuedBytesPerConnection) {
      this.logger.warn('[rendezvous] client does not read its frames, dropping it', { job: conn.job?.id, rank: conn.rank });
      conn.socket.destroy();
      return;
    }
    if (this.batch && !this.batch.has(conn.socket)) {
      conn.socket.cork();
      this.batch.add(conn.socket);
    }
    conn.socket.write(frame);
  }

  /** Sends an ERROR frame and closes the connection; no other connection is affected. */
  private reject(conn: Conn, code: ErrorCodeValue, message: string): void {
    if (conn.state === 'closed') return;
    this.logger.debug('[rendezvous] closing connection', { code, message, peer: `${conn.observed.host}:${conn.observed.port}` });
    if (!conn.socket.destroyed) conn.socket.end(encodeError(code, message));
    conn.state = 'closed';
    if (conn.authTimer) clearTimeout(conn.authTimer);
    // A client that keeps the socket open after the error still loses it.
    setTimeout(() => conn.socket.destroy(), 1_000).unref();
    // Leave the control map at once: the same rank may reconnect right away.
    if (conn.job && conn.rank !== undefined && conn.job.controls.get(conn.rank) === conn) {
      this.onCloseControl(conn);
    }
  }

  private onCloseControl(conn: Conn): void {
    conn.state = 'control';
    this.onClose(conn);
    conn.state = 'closed';
  }
}

/** Creates a server and starts listening. */
export async function startRendezvousServer(options: RendezvousServerOptions): Promise<RendezvousServer> {
  const server = new RendezvousServer(options);
  await server.listen();
  return server;
}

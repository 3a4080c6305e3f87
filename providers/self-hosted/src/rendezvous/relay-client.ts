import type { Socket } from 'node:net';
import type { RendezvousAddress } from './address.js';
import { handshake } from './handshake.js';
import { Role } from './protocol.js';

export interface RelayOptions {
  readonly address: RendezvousAddress;
  readonly job: string;
  readonly rank: number;
  readonly size: number;
  readonly secret: string;
  readonly pairId: number;
  /** Bounds the wait for the other side to arrive at the relay too; its reason is the error. */
  readonly signal: AbortSignal;
}

/**
 * Opens a relay connection for a pairing whose hole punching failed. It authenticates like the
 * control connection; the server answers RELAY_READY once both sides are there, and from then on
 * the connection carries the peer's bytes. Resolves with the socket paused and the bytes that
 * arrived after RELAY_READY.
 */
export async function openRelay(o: RelayOptions): Promise<{ socket: Socket; rest: Buffer }> {
  const { socket, decoder } = await handshake(
    o.address,
    { role: Role.Relay, job: o.job, rank: o.rank, size: o.size, pairId: o.pairId, endpoints: [] },
    o.secret,
    o.signal,
  );
  socket.on('error', () => {});
  return { socket, rest: decoder.takeRest() };
}

import type { Socket } from 'node:net';
import { FmiError } from '@fmi/core';
import { PAIR_TOKEN_BYTES } from '../rendezvous/protocol.js';

/**
 * The first bytes each side writes on a data connection, whatever its path:
 *
 *   "FMID" | version u8 | pair token (16 bytes, from the server's INTRO) | sender rank u32
 *
 * A connection is only used once both sides have seen the other's hello with the right token and
 * rank, so a private address that leads to some other host (two VPCs reuse 10.0.0.5) or a stray
 * connection on a punched port is dropped rather than mistaken for the peer.
 */

const MAGIC = Buffer.from('FMID', 'latin1');
const VERSION = 1;
export const HELLO_BYTES = MAGIC.length + 1 + PAIR_TOKEN_BYTES + 4;

export function encodeHello(token: Uint8Array, rank: number): Buffer {
  const b = Buffer.allocUnsafe(HELLO_BYTES);
  MAGIC.copy(b, 0);
  b[4] = VERSION;
  b.set(token, 5);
  b.writeUInt32BE(rank, 5 + PAIR_TOKEN_BYTES);
  return b;
}

export interface Hello {
  readonly token: Buffer;
  readonly rank: number;
  /** Bytes that followed the hello (the first frames), to hand to the data link. */
  readonly rest: Buffer;
}

/**
 * Reads the other side's hello. Resolves with the socket paused, so no byte after the hello is lost
 * before the data link takes over. Rejects on a bad hello, a closed socket, or `signal`.
 */
export function readHello(socket: Socket, initial: Buffer, signal: AbortSignal, where: string): Promise<Hello> {
  return new Promise<Hello>((resolve, reject) => {
    let buffered = initial;
    const done = (error: unknown, hello?: Hello) => {
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onError);
      signal.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else {
        socket.pause();
        resolve(hello as Hello);
      }
    };
    const check = () => {
      if (buffered.length < HELLO_BYTES) return false;
      if (!buffered.subarray(0, 4).equals(MAGIC) || buffered[4] !== VERSION) {
        done(new FmiError('protocol', `[direct] ${where} did not start with an FMI hello`, { channel: 'direct' }));
        return true;
      }
      done(undefined, {
        token: Buffer.from(buffered.subarray(5, 5 + PAIR_TOKEN_BYTES)),
        rank: buffered.readUInt32BE(5 + PAIR_TOKEN_BYTES),
        rest: buffered.subarray(HELLO_BYTES),
      });
      return true;
    };
    const onData = (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      check();
    };
    const onClose = () => done(new FmiError('channel', `[direct] ${where} closed before its hello`, { channel: 'direct' }));
    const onError = (e: Error) => done(new FmiError('channel', `[direct] ${where}: ${e.message}`, { cause: e, channel: 'direct' }));
    const onAbort = () => done(signal.reason);
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    if (check()) return;
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.resume();
  });
}

/** True when `hello` is the expected peer's, for the expected pairing. */
export function helloMatches(hello: Hello, token: Uint8Array, rank: number): boolean {
  return hello.rank === rank && hello.token.equals(token);
}

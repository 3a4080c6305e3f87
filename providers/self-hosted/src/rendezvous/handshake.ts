import { lookup } from 'node:dns/promises';
import { connect, type Socket } from 'node:net';
import { FmiError, type FmiErrorKind } from '@fmi/core';
import type { RendezvousAddress } from './address.js';
import { authProof } from './job-secret.js';
import { type AuthFields, decodeError, ErrorCode, encodeAuthFields, type Frame, FrameDecoder, MessageType, NONCE_BYTES, PayloadReader } from './protocol.js';

/** An authenticated connection to the rendezvous server, with what the server answered. */
export interface Handshake {
  readonly socket: Socket;
  /** Holds frames (or, on a relay, spliced bytes) that arrived after the answer. */
  readonly decoder: FrameDecoder;
  /** WELCOME (control) or RELAY_READY (relay). */
  readonly answer: Frame;
}

const ERROR_KINDS: Record<number, FmiErrorKind> = {
  [ErrorCode.Auth]: 'auth',
  [ErrorCode.Protocol]: 'protocol',
  [ErrorCode.Limit]: 'channel',
  [ErrorCode.Config]: 'config',
  [ErrorCode.DuplicateRank]: 'config',
  [ErrorCode.Version]: 'protocol',
  [ErrorCode.Expired]: 'timeout',
  [ErrorCode.PeerGone]: 'peer-lost',
};

/** The FmiError for an ERROR or PAIR_FAILED code from the server. */
export function serverError(code: number, message: string, where: string, peer?: number): FmiError {
  const kind = ERROR_KINDS[code] ?? 'channel';
  return new FmiError(kind, `[direct] rendezvous server at ${where} refused: ${message}`, { channel: 'direct', peer });
}

/**
 * Connects to the server and authenticates: waits for the CHALLENGE, answers with AUTH (the HMAC
 * proof; the secret itself is never sent) and waits for WELCOME or RELAY_READY. The socket is bound
 * explicitly to the wildcard address, which makes libuv set SO_REUSEADDR: hole punching later binds
 * a second socket to the same local port. Fails with `auth` when the server refuses the proof,
 * `channel` when the server cannot be reached, and `signal.reason` when it aborts (a Deadline's
 * signal carries the timeout error).
 */
export async function handshake(address: RendezvousAddress, fields: AuthFields, secret: string, signal: AbortSignal): Promise<Handshake> {
  const where = `${address.host}:${address.port}`;
  if (signal.aborted) throw signal.reason;
  let family: number;
  let ip: string;
  try {
    const resolved = await lookup(address.host);
    family = resolved.family;
    ip = resolved.address;
  } catch (e) {
    throw new FmiError('config', `[direct] cannot resolve rendezvous host "${address.host}": ${(e as Error).message}`, {
      cause: e,
      channel: 'direct',
      field: 'channels.direct.rendezvous',
    });
  }
  const socket = connect({ host: ip, port: address.port, localAddress: family === 6 ? '::' : '0.0.0.0', noDelay: true });
  socket.setKeepAlive(true, 15_000);
  const decoder = new FrameDecoder();
  return new Promise<Handshake>((resolve, reject) => {
    let nonceSeen = false;
    const finish = (error: unknown, answer?: Frame) => {
      socket.off('data', onChunk);
      socket.off('error', onError);
      socket.off('close', onClose);
      signal.removeEventListener('abort', onAbort);
      if (error) {
        socket.destroy();
        reject(error);
        return;
      }
      socket.pause();
      resolve({ socket, decoder, answer: answer as Frame });
    };
    const onAbort = () => finish(signal.reason);
    const onError = (e: Error) =>
      finish(
        new FmiError('channel', `[direct] cannot reach the rendezvous server at ${where}: ${e.message} — start \`fmi rendezvous\` or check FMI_RENDEZVOUS`, {
          cause: e,
          channel: 'direct',
        }),
      );
    const onClose = () =>
      finish(new FmiError('channel', `[direct] the rendezvous server at ${where} closed the connection during authentication`, { channel: 'direct' }));
    // Frames are taken one at a time so that bytes after RELAY_READY stay in the decoder.
    const onChunk = (chunk: Buffer) => {
      try {
        decoder.append(chunk);
        for (;;) {
          const frame = decoder.next();
          if (!frame) return;
          if (frame.type === MessageType.Error) {
            const { code, message } = decodeError(frame.payload);
            finish(serverError(code, message, where));
            return;
          }
          if (!nonceSeen) {
            if (frame.type !== MessageType.Challenge)
              throw new FmiError('protocol', `[direct] rendezvous server at ${where} sent frame type ${frame.type} before CHALLENGE`);
            const r = new PayloadReader(frame.payload, 'CHALLENGE');
            const nonce = r.bytes(NONCE_BYTES);
            r.end();
            nonceSeen = true;
            const builder = encodeAuthFields(fields);
            const proof = authProof(secret, nonce, builder.payload());
            socket.write(builder.bytes(proof).frame(MessageType.Auth));
            continue;
          }
          if (frame.type === MessageType.Welcome || frame.type === MessageType.RelayReady) {
            finish(undefined, frame);
            return;
          }
          throw new FmiError('protocol', `[direct] rendezvous server at ${where} answered AUTH with frame type ${frame.type}`);
        }
      } catch (e) {
        finish(FmiError.is(e) ? e : new FmiError('protocol', `[direct] ${(e as Error).message}`, { cause: e }));
      }
    };
    socket.on('data', onChunk);
    socket.on('error', onError);
    socket.on('close', onClose);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

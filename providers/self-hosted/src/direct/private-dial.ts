import { connect, type Socket } from 'node:net';
import type { Endpoint } from '../rendezvous/protocol.js';
import { encodeHello, type Hello, helloMatches, readHello } from './data-hello.js';

export interface Dialled {
  readonly socket: Socket;
  readonly hello: Hello;
}

/** Once a private connect succeeded, the hello exchange gets this long even past `connectMs`. */
const HELLO_GRACE_MS = 5_000;

/**
 * Dials every private endpoint of the peer at once and keeps the first connection whose hello
 * proves it is the peer of this pairing; the others are closed. Connects are bounded by
 * `connectMs` (an unroutable private address can hang until then); resolves `undefined` when no
 * endpoint leads to the peer.
 */
export function dialPrivate(
  endpoints: readonly Endpoint[],
  token: Buffer,
  ownRank: number,
  peer: number,
  connectMs: number,
  cancel: AbortSignal,
): Promise<Dialled | undefined> {
  if (endpoints.length === 0 || cancel.aborted) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    let open = endpoints.length;
    let won = false;
    const sockets = new Set<Socket>();
    const finish = (result: Dialled | undefined) => {
      if (won) return;
      won = true;
      clearTimeout(connectTimer);
      cancel.removeEventListener('abort', onCancel);
      for (const s of sockets) if (s !== result?.socket) s.destroy();
      resolve(result);
    };
    const lose = () => {
      open--;
      if (open === 0) finish(undefined);
    };
    const onCancel = () => finish(undefined);
    cancel.addEventListener('abort', onCancel, { once: true });
    const connectTimer = setTimeout(() => {
      // Endpoints still connecting have had their chance; those exchanging hellos keep going. The
      // check waits for the poll phase: on a busy loop the kernel may have finished a connect whose
      // event is still queued behind this timer.
      setImmediate(() => {
        for (const s of sockets) {
          if (s.connecting && !won) {
            sockets.delete(s);
            s.destroy();
            lose();
          }
        }
      });
    }, connectMs);
    for (const e of endpoints) {
      const socket = connect({ host: e.host, port: e.port, noDelay: true });
      sockets.add(socket);
      socket.on('error', () => {});
      let failed = false;
      const fail = () => {
        if (failed) return;
        failed = true;
        if (sockets.delete(socket)) {
          socket.destroy();
          lose();
        }
      };
      socket.once('close', fail);
      socket.once('connect', () => {
        socket.off('close', fail);
        socket.write(encodeHello(token, ownRank));
        readHello(socket, Buffer.alloc(0), AbortSignal.timeout(HELLO_GRACE_MS), `private endpoint ${e.host}:${e.port}`).then(
          (hello) => (helloMatches(hello, token, peer) && !won ? finish({ socket, hello }) : fail()),
          fail,
        );
      });
    }
  });
}

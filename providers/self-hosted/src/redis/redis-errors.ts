import { FmiError } from '@fmi/core';
import {
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  ErrorReply,
  ReconnectStrategyError,
  SocketClosedUnexpectedlyError,
  SocketTimeoutError,
} from 'redis';

const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);

/** The underlying socket error of a node-redis failure, when there is one. */
export function socketCause(error: unknown): unknown {
  return error instanceof ReconnectStrategyError ? error.socketError : error;
}

/**
 * True when the failure is the connection's, not the command's: the command may succeed once the
 * client has reconnected.
 */
export function isConnectionError(error: unknown): boolean {
  if (
    error instanceof SocketClosedUnexpectedlyError ||
    error instanceof ClientOfflineError ||
    error instanceof ConnectionTimeoutError ||
    error instanceof SocketTimeoutError ||
    error instanceof ReconnectStrategyError
  ) {
    return true;
  }
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && SOCKET_CODES.has(code);
}

/** True when the command was certainly never written to the socket (safe to retry even if not idempotent). */
export function wasNeverSent(error: unknown): boolean {
  return error instanceof ClientOfflineError;
}

/** True for a command that failed because our own client was closed. */
export function isClientClosed(error: unknown): boolean {
  return error instanceof ClientClosedError;
}

/** An error reply from the server, as the FmiError a user can act on. */
export function fromErrorReply(what: string, error: ErrorReply): FmiError {
  const text = error.message;
  if (/^(WRONGPASS|NOAUTH|NOPERM)/.test(text)) {
    return new FmiError('auth', `[redis] ${what} was refused: ${text} — check the user and password in the Redis URL`, { cause: error, channel: 'redis' });
  }
  if (text.startsWith('OOM')) {
    return new FmiError('channel', `[redis] ${what} failed: Redis is out of memory (${text}) — raise maxmemory or lower ttlSeconds`, {
      cause: error,
      channel: 'redis',
      retryable: false,
    });
  }
  // LOADING / BUSY / TRYAGAIN / MASTERDOWN are transient by Redis's own definition.
  const transient = /^(LOADING|BUSY|TRYAGAIN|MASTERDOWN)/.test(text);
  return new FmiError('channel', `[redis] ${what} failed: ${text}`, { cause: error, channel: 'redis', retryable: transient });
}

export { ErrorReply };

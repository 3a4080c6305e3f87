/**
 * The one error type FMI throws. `kind` says what went wrong in a way code can branch on;
 * `retryable` says whether the same call may succeed later; `field` names the argument or
 * config path at fault when there is one.
 */
export type FmiErrorKind = 'timeout' | 'peer-lost' | 'invalid-argument' | 'config' | 'unsupported' | 'auth' | 'protocol' | 'channel' | 'aborted' | 'closed';

const BRAND = Symbol.for('@fmi/core.FmiError');

export interface FmiErrorOptions {
  cause?: unknown;
  retryable?: boolean;
  /** Argument name or config path at fault, e.g. `root` or `channels.redis.url`. */
  field?: string;
  /** Channel the error came from, when there is one. */
  channel?: string;
  /** Rank (in the world) the error concerns, e.g. the peer that was lost. */
  peer?: number;
}

const DEFAULT_RETRYABLE: Record<FmiErrorKind, boolean> = {
  timeout: true,
  'peer-lost': false,
  'invalid-argument': false,
  config: false,
  unsupported: false,
  auth: false,
  protocol: false,
  channel: true,
  aborted: false,
  closed: false,
};

export class FmiError extends Error {
  readonly kind: FmiErrorKind;
  readonly retryable: boolean;
  readonly field: string | undefined;
  readonly channel: string | undefined;
  readonly peer: number | undefined;

  constructor(kind: FmiErrorKind, message: string, options: FmiErrorOptions = {}) {
    super(message.startsWith('[fmi]') ? message : `[fmi] ${message}`, { cause: options.cause });
    this.name = 'FmiError';
    this.kind = kind;
    this.retryable = options.retryable ?? DEFAULT_RETRYABLE[kind];
    this.field = options.field;
    this.channel = options.channel;
    this.peer = options.peer;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** True for an FmiError from any copy of `@fmi/core` (duplicate installs included). */
  static is(value: unknown): value is FmiError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  /** True when `value` is an FmiError of the given kind. */
  static isKind(value: unknown, kind: FmiErrorKind): value is FmiError {
    return FmiError.is(value) && value.kind === kind;
  }
}

/** Shorthand for the most common error: a bad argument, naming it. */
export function invalidArgument(field: string, message: string): FmiError {
  return new FmiError('invalid-argument', `${field}: ${message}`, { field });
}

/** Wraps an unknown failure of a channel into an FmiError of kind `channel`, keeping FmiErrors as they are. */
export function asChannelError(channel: string, what: string, cause: unknown): FmiError {
  if (FmiError.is(cause)) return cause;
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new FmiError('channel', `[${channel}] ${what} failed: ${detail}`, { cause, channel });
}

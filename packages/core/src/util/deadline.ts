import { setMaxListeners } from 'node:events';
import { FmiError } from '../errors.js';

/**
 * The time budget of one operation. Every wait in FMI takes a Deadline: it carries the absolute
 * time at which the operation fails with `timeout`, and an AbortSignal that fires at that time or
 * when the caller's own signal aborts, whichever comes first. The signal's `reason` is always an
 * FmiError (`timeout` or `aborted`), so a wait can simply reject with it.
 *
 * The timer is created lazily, on first use of `signal`, and released by `dispose()`, so an
 * operation that completes without waiting costs no timer at all.
 */
export class Deadline {
  /** Absolute time (ms since epoch, from the Clock) at which the operation times out. */
  readonly at: number;
  readonly timeoutMs: number;
  readonly what: string;
  private readonly userSignal: AbortSignal | undefined;
  private controller: AbortController | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private onUserAbort: (() => void) | undefined;

  constructor(timeoutMs: number, what: string, userSignal?: AbortSignal, now: number = Date.now()) {
    this.timeoutMs = timeoutMs;
    this.at = now + timeoutMs;
    this.what = what;
    this.userSignal = userSignal;
  }

  /** Milliseconds left, never negative. */
  remaining(now: number = Date.now()): number {
    return Math.max(0, this.at - now);
  }

  get expired(): boolean {
    return this.controller?.signal.aborted === true || this.userSignal?.aborted === true || Date.now() >= this.at;
  }

  /** The error the operation fails with once the deadline passes. */
  timeoutError(detail?: string): FmiError {
    return new FmiError(
      'timeout',
      `${this.what} timed out after ${this.timeoutMs} ms${detail ? ` (${detail})` : ''} — raise timeoutMs or check that every rank makes the same call`,
    );
  }

  /** Throws the deadline's error if it has passed or the caller aborted. */
  throwIfExpired(): void {
    if (this.userSignal?.aborted) throw abortedError(this.what, this.userSignal.reason);
    if (this.controller?.signal.aborted) throw this.controller.signal.reason;
    if (Date.now() >= this.at) throw this.timeoutError();
  }

  get signal(): AbortSignal {
    if (this.controller) return this.controller.signal;
    const controller = new AbortController();
    // One deadline serves every wait of a call (a root waits for N−1 objects at once): lift Node's
    // listener-count warning, which would otherwise flag a correct fan-out as a leak.
    setMaxListeners(0, controller.signal);
    this.controller = controller;
    if (this.userSignal?.aborted) {
      controller.abort(abortedError(this.what, this.userSignal.reason));
      return controller.signal;
    }
    const left = this.at - Date.now();
    if (left <= 0) {
      controller.abort(this.timeoutError());
      return controller.signal;
    }
    this.timer = setTimeout(() => controller.abort(this.timeoutError()), left);
    this.timer.unref?.();
    if (this.userSignal) {
      const user = this.userSignal;
      this.onUserAbort = () => controller.abort(abortedError(this.what, user.reason));
      user.addEventListener('abort', this.onUserAbort, { once: true });
    }
    return controller.signal;
  }

  /** Releases the timer and the listener on the caller's signal. Safe to call more than once. */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.onUserAbort && this.userSignal) this.userSignal.removeEventListener('abort', this.onUserAbort);
    this.onUserAbort = undefined;
  }
}

function abortedError(what: string, reason: unknown): FmiError {
  if (FmiError.is(reason)) return reason;
  return new FmiError('aborted', `${what} was aborted by the caller's signal`, { cause: reason });
}

/**
 * Resolves after `ms`, or rejects with the deadline's error when it passes first. Used by polling
 * waits; never sleeps past the deadline.
 */
export function sleep(ms: number, deadline?: Deadline): Promise<void> {
  if (!deadline) return new Promise((resolve) => setTimeout(resolve, ms));
  const signal = deadline.signal;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    const t = setTimeout(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.min(ms, deadline.remaining() + 1),
    );
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Races a promise against the deadline; the promise itself is not cancelled. */
export function withDeadline<T>(promise: Promise<T>, deadline: Deadline): Promise<T> {
  return raceSignal(promise, deadline.signal);
}

/**
 * Settles with `promise`, or rejects with the signal's reason as soon as it aborts (the promise
 * itself is not cancelled; its later rejection is ignored). The listener is removed either way.
 */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

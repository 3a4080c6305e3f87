import type { Deadline } from '@fmi/core';

/**
 * Deadline plumbing for many concurrent waits that share one deadline. Core gives every channel
 * call of one collective the same `Deadline`, so a rank waiting for N-1 objects would add N-1
 * 'abort' listeners to one AbortSignal (Node warns past 10, and each EventTarget listener costs
 * more than a Set entry). Here each signal gets one real listener, which fans out to a Set.
 */
const fanouts = new WeakMap<AbortSignal, Set<() => void>>();

/** Calls `listener` once when `signal` aborts; returns a function that cancels the call. */
export function onAbort(signal: AbortSignal, listener: () => void): () => void {
  let listeners = fanouts.get(signal);
  if (!listeners) {
    const created = new Set<() => void>();
    listeners = created;
    fanouts.set(signal, created);
    signal.addEventListener(
      'abort',
      () => {
        fanouts.delete(signal);
        for (const call of created) call();
        created.clear();
      },
      { once: true },
    );
  }
  const set = listeners;
  set.add(listener);
  return () => {
    set.delete(listener);
  };
}

/** Settles like `promise`, or rejects with the deadline's error (an FmiError) when it passes first. */
export function raceDeadline<T>(promise: Promise<T>, deadline: Deadline): Promise<T> {
  const signal = deadline.signal;
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const cancel = onAbort(signal, () => reject(signal.reason));
    promise.then(
      (value) => {
        cancel();
        resolve(value);
      },
      (error: unknown) => {
        cancel();
        reject(error);
      },
    );
  });
}

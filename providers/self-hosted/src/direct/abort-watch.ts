/**
 * One 'abort' listener per signal, however many waits share it. Core hands one Deadline to every
 * wait of a call (a collective's first sends ask for many peers under one deadline), and Node's
 * EventTarget walks its whole listener list on every addEventListener (duplicate check): N waits
 * on one signal cost O(N²). Here adding and removing a wait is O(1).
 */
const watchers = new WeakMap<AbortSignal, Set<() => void>>();

/** Calls `onAbort` once when `signal` aborts; the returned function stops watching. */
export function watchAbort(signal: AbortSignal, onAbort: () => void): () => void {
  let set = watchers.get(signal);
  if (!set) {
    const fresh = new Set<() => void>();
    set = fresh;
    watchers.set(signal, fresh);
    signal.addEventListener(
      'abort',
      () => {
        watchers.delete(signal);
        for (const fn of [...fresh]) fn();
        fresh.clear();
      },
      { once: true },
    );
  }
  const own = set;
  let called = false;
  const fn = () => {
    if (called) return;
    called = true;
    onAbort();
  };
  own.add(fn);
  return () => {
    own.delete(fn);
  };
}

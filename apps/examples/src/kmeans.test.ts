import type { Communicator } from '@fmi/core';
import { runWorld } from '@fmi/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from './data/dataset.js';
import { loadMnist } from './data/mnist.js';
import { type KmeansResult, kmeansReference, runKmeans } from './kmeans.js';
import { CHANNEL_KINDS, elementRelativeError } from './testing/worlds.js';

// A subset keeps the suite fast; 1,500 samples over 8 ranks still gives every rank ~190.
const OPTIONS = { samples: 1500, k: 10, epochs: 5, seed: 7 } as const;

let data: Dataset;
let reference: KmeansResult;

beforeAll(async () => {
  data = (await loadMnist({ samples: OPTIONS.samples, seed: OPTIONS.seed })).train;
  reference = kmeansReference(data, OPTIONS);
});

describe('kmeansReference', () => {
  it('runs Lloyd iterations whose inertia never increases and that cluster digits far better than chance', async () => {
    const { inertiaHistory, finalInertia, finalPurity, centroids } = reference;
    expect(inertiaHistory).toHaveLength(OPTIONS.epochs);
    const series = [...inertiaHistory, finalInertia];
    for (let e = 1; e < series.length; e++) expect(series[e]).toBeLessThanOrEqual(series[e - 1]);
    expect(series[series.length - 1]).toBeLessThan(series[0]);
    // Ten random clusters would be ~11% pure (the share of the largest digit); k-means on MNIST reaches ~50-60%.
    expect(finalPurity).toBeGreaterThan(0.4);
    expect(centroids).toHaveLength(OPTIONS.k * data.dim);
    expect(centroids.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('is deterministic for a seed and depends on it', () => {
    expect(kmeansReference(data, OPTIONS).centroids).toEqual(reference.centroids);
    expect(kmeansReference(data, { ...OPTIONS, seed: 8 }).centroids).not.toEqual(reference.centroids);
  });
});

describe.each(CHANNEL_KINDS)('runKmeans over the in-memory %s', (_name, worldOptions) => {
  it.each([1, 3, 8])('on %i rank(s) equals the single-process reference', async (size) => {
    const results = await runWorld(size, (comm) => runKmeans(comm, OPTIONS), worldOptions);
    // Every rank applies the same update to the same allreduced totals: bit-identical centroids.
    for (const r of results) expect(r.centroids).toEqual(results[0].centroids);
    const mine = results[0];
    // Only the order of the floating-point additions differs (per-shard partial sums, then the
    // allreduce's tree), so centroids agree to ~1e-15; 1e-9 leaves room without hiding a real error.
    expect(elementRelativeError(mine.centroids, reference.centroids)).toBeLessThan(1e-9);
    expect(elementRelativeError(mine.inertiaHistory, reference.inertiaHistory)).toBeLessThan(1e-9);
    expect(Math.abs(mine.finalInertia - reference.finalInertia) / reference.finalInertia).toBeLessThan(1e-9);
    // Cluster sizes and label counts are exact integers: the assignments are identical.
    expect(mine.purityHistory).toEqual(reference.purityHistory);
    expect(mine.finalPurity).toBe(reference.finalPurity);
  });
});

describe('runKmeans', () => {
  it('communicates through one allreduce per epoch (plus one to score the final centroids) after one bcast', async () => {
    const counts = await runWorld(3, async (comm: Communicator) => {
      const before = { ...comm.stats().choices };
      await runKmeans(comm, OPTIONS);
      const after = comm.stats().choices;
      const delta = (op: string) => Object.entries(after).reduce((n, [key, v]) => (key.startsWith(`${op}:`) ? n + v - (before[key] ?? 0) : n), 0);
      const total = Object.entries(after).reduce((n, [key, v]) => n + v - (before[key] ?? 0), 0);
      return { allreduce: delta('allreduce'), bcast: delta('bcast'), total };
    });
    for (const c of counts) expect(c).toEqual({ allreduce: OPTIONS.epochs + 1, bcast: 1, total: OPTIONS.epochs + 2 });
  });

  it('prints the per-epoch table through `log`', async () => {
    const lines: string[] = [];
    const [result] = await runWorld(2, (comm) => runKmeans(comm, { ...OPTIONS, log: comm.rank === 0 ? (l) => lines.push(l) : undefined }));
    const header = lines.findIndex((l) => /epoch\s+inertia\s+purity\s+comm ms\s+compute ms/.test(l));
    expect(header).toBeGreaterThan(0);
    const rows = lines.slice(header + 1, header + 1 + OPTIONS.epochs);
    rows.forEach((row, i) => {
      const cells = row.trim().split(/\s+/).map(Number);
      expect(cells).toHaveLength(5);
      expect(cells[0]).toBe(i + 1);
      expect(cells[1]).toBeCloseTo(result.inertiaHistory[i], 1);
      expect(cells[3]).toBeGreaterThanOrEqual(0);
    });
    expect(lines.at(-1)).toMatch(/^final: inertia [\d.]+, purity [\d.]+%/);
    expect(result.epochs.every((e) => e.commMs >= 0 && e.computeMs >= 0)).toBe(true);
  });

  it('fails on every rank, before any collective, when k exceeds the samples', async () => {
    await expect(runWorld(3, (comm) => runKmeans(comm, { samples: 5, k: 6, epochs: 1 }))).rejects.toThrow(
      /k \(6\) must not exceed the number of samples \(5\)/,
    );
  });
});

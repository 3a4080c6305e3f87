import { describe, expect, it } from 'vitest';
import { connect } from '../connect.js';
import { createMemoryHub } from '../testing/memory-hub.js';
import { memoryMessageChannel } from '../testing/memory-message-channel.js';
import { memoryObjectChannel } from '../testing/memory-object-channel.js';
import { DEFAULT_PRICE_BOOK, type PolicyChannel, rank } from './policy.js';

/** Two channels with the figures FMI measured on Lambda: a fast message channel and a cheap-per-hour store. */
function lambdaLikeChannels(): PolicyChannel[] {
  const hub = createMemoryHub();
  const direct = memoryMessageChannel(hub, { name: 'direct', model: { latencyMs: 0.34, bandwidthBytesPerMs: 400_000, pricePerHour: 0.0134 } });
  const s3 = memoryObjectChannel(hub, {
    name: 's3',
    atomicCounter: false,
    nativeWait: false,
    model: { latencyMs: 40.4, bandwidthBytesPerMs: 50_000, pollDelayMs: 10, concurrency: 8, pricePerRequest: { put: 5e-6, get: 4e-7, list: 5e-6, delete: 0 } },
  });
  return [direct, s3].map((channel) => ({ name: channel.name, channel, model: channel.model }));
}

describe('policy', () => {
  it('gives every rank the same choice for the same (op, bytes, size, hint, config)', async () => {
    const n = 6;
    const hub = createMemoryHub();
    const config = { model: { channels: { 'memory-obj': { latencyMs: 3 } } } };
    const comms = await Promise.all(
      Array.from({ length: n }, (_, r) =>
        connect({ rank: r, size: n, job: 'policy-agree', env: {}, config, channels: [memoryMessageChannel(hub), memoryObjectChannel(hub)] }),
      ),
    );
    try {
      for (const op of ['bcast', 'allreduce', 'allgather', 'barrier', 'alltoall', 'scan'] as const) {
        for (const bytes of [8, 65_536, 16 << 20]) {
          for (const hint of ['fast', 'cheap'] as const) {
            const plans = comms.map((c) => c.plan({ op, bytes, hint }));
            for (const p of plans) expect(p).toEqual(plans[0]);
            expect(plans[0].length).toBeGreaterThan(1);
            expect(plans[0].map((e) => e.rank)).toEqual(plans[0].map((_, i) => i));
          }
        }
      }
      // The calls themselves record the choice the plan predicted, identically on every rank.
      await Promise.all(comms.map((c) => c.allreduce(new Float64Array(4), 'sum', { hint: 'fast' })));
      const chosen = comms.map((c) => c.stats().choices);
      for (const ch of chosen) expect(ch).toEqual(chosen[0]);
      const best = comms[0].plan({ op: 'allreduce', bytes: 32, hint: 'fast' })[0];
      expect(Object.keys(chosen[0]).some((k) => k === `allreduce:${best.channel}/${best.algorithm}`)).toBe(true);
    } finally {
      await Promise.all(comms.map((c) => c.close()));
    }
  });

  it('ranks by time for "fast" and by price for "cheap", and the ranking is sorted', () => {
    const channels = lambdaLikeChannels();
    const q = { op: 'allreduce' as const, bytes: 680, n: 64, commutative: true, associative: true, channel: undefined };
    const fast = rank(channels, { ...q, hint: 'fast' }, DEFAULT_PRICE_BOOK, 2048);
    const cheap = rank(channels, { ...q, hint: 'cheap' }, DEFAULT_PRICE_BOOK, 2048);
    expect(fast[0].channel).toBe('direct');
    for (let i = 1; i < fast.length; i++) expect(fast[i].timeMs).toBeGreaterThanOrEqual(fast[i - 1].timeMs);
    for (let i = 1; i < cheap.length; i++) expect(cheap[i].cost).toBeGreaterThanOrEqual(cheap[i - 1].cost);
    // The storage exchange costs requests and keeps 64 functions waiting for tens of ms: direct wins on price too,
    // which is FMI's headline result (faster and cheaper at scale).
    expect(cheap[0].channel).toBe('direct');
    const s3 = cheap.find((c) => c.channel === 's3');
    expect(s3 && s3.cost / cheap[0].cost).toBeGreaterThan(10);
  });

  it('skips algorithms the op or channel cannot support', () => {
    const channels = lambdaLikeChannels();
    const nonCommutative = rank(
      channels,
      { op: 'allreduce', bytes: 8, n: 8, hint: 'fast', commutative: false, associative: false, channel: undefined },
      DEFAULT_PRICE_BOOK,
      1024,
    );
    expect(nonCommutative.map((c) => c.algorithm)).not.toContain('ring');
    expect(nonCommutative.map((c) => c.algorithm)).not.toContain('recursive-doubling');
    const barrier = rank(
      channels,
      { op: 'barrier', bytes: 0, n: 8, hint: 'fast', commutative: true, associative: true, channel: 's3' },
      DEFAULT_PRICE_BOOK,
      1024,
    );
    expect(barrier.map((c) => c.algorithm)).toEqual(['markers']); // no atomic counter on this store
  });

  it('picks a bandwidth-optimal algorithm for large vectors and a latency-optimal one for small', () => {
    const channels = lambdaLikeChannels();
    const q = { op: 'allreduce' as const, n: 16, hint: 'fast' as const, commutative: true, associative: true, channel: 'direct' };
    expect(rank(channels, { ...q, bytes: 8 }, DEFAULT_PRICE_BOOK, 1024)[0].algorithm).toBe('recursive-doubling');
    expect(rank(channels, { ...q, bytes: 64 << 20 }, DEFAULT_PRICE_BOOK, 1024)[0].algorithm).toBe('ring');
  });

  it('refuses an unknown forced channel with a config error naming it', () => {
    expect(() =>
      rank(
        lambdaLikeChannels(),
        { op: 'bcast', bytes: 8, n: 2, hint: 'fast', commutative: true, associative: true, channel: 'nope' },
        DEFAULT_PRICE_BOOK,
        1024,
      ),
    ).toThrow(expect.objectContaining({ kind: 'config', field: 'channel' }));
  });
});

import type { ObjectChannel } from '@fmi/core';
import { closeEndpoints, deadline, openEndpoints } from '../channel-context.js';
import { makeData, seedOf } from '../random.js';
import { Problems } from '../reference.js';
import type { Runner } from '../runner.js';
import type { ResolvedTarget } from '../target.js';
import { freshJob } from '../world.js';
import { errorOf, summary } from './errors.js';

const bytes = (n: number, seed: number) => makeData('uint8', n, seed) as Uint8Array;

/** The ObjectChannel contract, endpoint against endpoint, without a communicator. */
export function objectPrimitiveSuites(runner: Runner, target: ResolvedTarget): void {
  const { describe, it, expect } = runner;
  const t = target.timeoutMs;
  const d = () => ({ deadline: deadline(t) });
  const withEndpoints = async <R>(size: number, fn: (e: ObjectChannel[], job: string) => Promise<R>, job = freshJob(`${target.name}-obj`)): Promise<R> => {
    const endpoints = await openEndpoints<ObjectChannel>(target, size, job, t);
    try {
      return await fn(endpoints, job);
    } finally {
      await closeEndpoints(endpoints);
    }
  };

  describe('object primitives', () => {
    it('declares itself an object channel with sane capabilities', async () => {
      const endpoints = await target.createEndpoints(1, freshJob(target.name));
      expect([endpoints[0].name, endpoints[0].kind]).toEqual([target.name, 'object']);
      expect(endpoints[0].capabilities.maxPayloadBytes).toBeGreaterThanOrEqual(1024);
    });

    it('put then get from another endpoint: empty, small and large objects; missing key without wait gives undefined', async () => {
      const result = await withEndpoints(2, async ([a, b]) => {
        const p = new Problems();
        const largeLen = Math.min(a.capabilities.maxPayloadBytes, 4 * 1024 * 1024);
        const large = bytes(largeLen, seedOf('large'));
        const copy = large.slice();
        await a.put('t/empty', new Uint8Array(0), d());
        await a.put('t/small', bytes(10, 1), d());
        await a.put('t/large', large, d());
        large.fill(7); // the store keeps what was put, not the caller's buffer
        p.check('empty object', await b.get('t/empty', { ...d(), wait: false }), new Uint8Array(0));
        p.check('small object', await b.get('t/small', { ...d(), wait: false }), bytes(10, 1));
        const got = await b.get('t/large', { ...d(), wait: false });
        p.check(`object of ${largeLen} bytes`, got, copy);
        got?.fill(9); // nor the reader's buffer
        p.check('object after the reader modified its copy', await a.get('t/large', { ...d(), wait: false }), copy);
        const missing = await b.get('t/missing', { ...d(), wait: false });
        await a.delete(['t/empty', 't/small', 't/large'], d());
        return { problems: p.list, missing };
      });
      expect(result).toEqual({ problems: [], missing: undefined });
    });

    it('get with wait resolves once another endpoint puts the object (natively or by polling)', async () => {
      const got = await withEndpoints(2, async ([a, b]) => {
        const pending = b.get('w/later', { ...d(), wait: true });
        await new Promise((resolve) => setTimeout(resolve, 50));
        await a.put('w/later', bytes(5, 5), d());
        const value = await pending;
        await a.delete(['w/later'], d());
        return value && Array.from(value);
      });
      expect(got).toEqual(Array.from(bytes(5, 5)));
    });

    it('get with wait and nothing put fails with timeout within its deadline', async () => {
      const waitMs = 300;
      const { kind, elapsed } = await withEndpoints(1, async ([a]) => {
        const start = Date.now();
        const err = await errorOf(() => a.get('w/never', { deadline: deadline(waitMs), wait: true }));
        return { kind: summary(err), elapsed: Date.now() - start };
      });
      expect(kind).toBe('timeout');
      expect(elapsed).toBeLessThanOrEqual(waitMs + 5_000); // generous: checks it does not hang
    });

    it('list is scoped by prefix and by job; delete removes, absent keys are not an error', async () => {
      const otherJob = freshJob(`${target.name}-other`);
      const result = await withEndpoints(2, async ([a, b], job) => {
        const others = await openEndpoints<ObjectChannel>(target, 1, otherJob, t);
        try {
          await a.put('l/x/1', bytes(1, 1), d());
          await b.put('l/x/2', bytes(1, 2), d());
          await a.put('l/xy', bytes(1, 3), d());
          await a.put('l/y/1', bytes(1, 4), d());
          await others[0].put('l/x/9', bytes(1, 9), d());
          const listed = (await b.list('l/x/', d())).sort();
          const wider = (await a.list('l/x', d())).sort();
          const otherGet = await a.get('l/x/9', { ...d(), wait: false });
          await a.delete(['l/x/1', 'l/never-existed'], d());
          const afterDelete = (await b.list('l/', d())).sort();
          const deletedGet = await b.get('l/x/1', { ...d(), wait: false });
          await a.delete(['l/x/2', 'l/xy', 'l/y/1'], d());
          const empty = await a.list('l/', d());
          await others[0].delete(['l/x/9'], d());
          const leftovers = target.leftovers ? [...(await target.leftovers(job)), ...(await target.leftovers(otherJob))] : [];
          return { listed, wider, otherGet, afterDelete, deletedGet, empty, leftovers };
        } finally {
          await closeEndpoints(others);
        }
      });
      expect(result).toEqual({
        listed: ['l/x/1', 'l/x/2'],
        wider: ['l/x/1', 'l/x/2', 'l/xy'],
        otherGet: undefined,
        afterDelete: ['l/x/2', 'l/xy', 'l/y/1'],
        deletedGet: undefined,
        empty: [],
        leftovers: [],
      });
    });

    it('two jobs with the same key see their own objects', async () => {
      const jobB = freshJob(`${target.name}-iso`);
      const got = await withEndpoints(1, async ([a]) => {
        const [b] = await openEndpoints<ObjectChannel>(target, 1, jobB, t);
        try {
          await a.put('same', new Uint8Array([1]), d());
          await b.put('same', new Uint8Array([2]), d());
          const r = [Array.from((await a.get('same', { ...d(), wait: false }))!), Array.from((await b.get('same', { ...d(), wait: false }))!)];
          await a.delete(['same'], d());
          await b.delete(['same'], d());
          return r;
        } finally {
          await closeEndpoints([b]);
        }
      });
      expect(got).toEqual([[1], [2]]);
    });

    it('increment: atomic across endpoints when capabilities.atomicCounter (8 × 25 concurrent increments give 1..200 once), otherwise absent or unsupported', async () => {
      const outcome = await withEndpoints(8, async (es) => {
        if (!es[0].capabilities.atomicCounter) {
          return { counter: false, kind: es[0].increment ? summary(await errorOf(() => es[0].increment!('c/x', 1, d()))) : 'unsupported' };
        }
        const all = await Promise.all(es.flatMap((e) => Array.from({ length: 25 }, () => e.increment!('c/counter', 1, d()))));
        const by3 = await es[0].increment!('c/other', 3, d());
        await es[0].delete(['c/counter', 'c/other'], d());
        return { counter: true, sorted: all.sort((x, y) => x - y), by3 };
      });
      expect(outcome).toEqual(
        outcome.counter ? { counter: true, sorted: Array.from({ length: 200 }, (_, i) => i + 1), by3: 3 } : { counter: false, kind: 'unsupported' },
      );
    });

    it('many concurrent waits on different keys each get their own object (puts in reverse order)', async () => {
      const problems = await withEndpoints(3, async ([a, b, c]) => {
        const p = new Problems();
        const waits = Array.from({ length: 20 }, (_, i) => (i % 2 ? b : c).get(`m/${i}`, { ...d(), wait: true }));
        for (let i = 19; i >= 0; i--) await a.put(`m/${i}`, bytes(3, seedOf('m', i)), d());
        const got = await Promise.all(waits);
        for (const [i, g] of got.entries()) p.check(`wait ${i}`, g, bytes(3, seedOf('m', i)));
        await a.delete(
          Array.from({ length: 20 }, (_, i) => `m/${i}`),
          d(),
        );
        return p.list;
      });
      expect(problems).toEqual([]);
    });
  });
}

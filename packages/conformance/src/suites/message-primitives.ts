import { FmiError, type MessageChannel } from '@fmi/core';
import { closeEndpoints, deadline, openEndpoints } from '../channel-context.js';
import { makeData, seedOf } from '../random.js';
import { Problems } from '../reference.js';
import type { Runner } from '../runner.js';
import type { ResolvedTarget } from '../target.js';
import { freshJob } from '../world.js';
import { errorOf } from './errors.js';

const bytes = (n: number, seed: number) => makeData('uint8', n, seed) as Uint8Array;

/** The MessageChannel contract, endpoint against endpoint, without a communicator. */
export function messagePrimitiveSuites(runner: Runner, target: ResolvedTarget): void {
  const { describe, it, expect } = runner;
  const t = target.timeoutMs;
  const withEndpoints = async <R>(size: number, fn: (e: MessageChannel[]) => Promise<R>): Promise<R> => {
    const endpoints = await openEndpoints<MessageChannel>(target, size, freshJob(`${target.name}-msg`), t);
    try {
      return await fn(endpoints);
    } finally {
      await closeEndpoints(endpoints);
    }
  };

  describe('message primitives', () => {
    it('declares itself a message channel with sane capabilities', async () => {
      const endpoints = await target.createEndpoints(2, freshJob(target.name));
      expect(endpoints.map((e) => [e.name, e.kind])).toEqual([
        [target.name, 'message'],
        [target.name, 'message'],
      ]);
      expect(endpoints[0].capabilities.maxPayloadBytes).toBeGreaterThanOrEqual(1024);
    });

    it('messages between one pair with one tag arrive in order (200 messages of varying length)', async () => {
      const problems = await withEndpoints(2, async ([a, b]) => {
        const p = new Problems();
        const sends = Promise.all(Array.from({ length: 200 }, (_, i) => a.send(1, 'order', bytes(i % 37, seedOf('order', i)), { deadline: deadline(t) })));
        for (let i = 0; i < 200; i++) p.check(`message ${i}`, await b.recv(0, 'order', { deadline: deadline(t) }), bytes(i % 37, seedOf('order', i)));
        await sends;
        return p.list;
      });
      expect(problems).toEqual([]);
    });

    it('tags are separate queues; a recv posted before the send completes', async () => {
      const got = await withEndpoints(2, async ([a, b]) => {
        const early = b.recv(0, 'late-tag', { deadline: deadline(t) });
        await a.send(1, 'x', new Uint8Array([1]), { deadline: deadline(t) });
        await a.send(1, 'y', new Uint8Array([2]), { deadline: deadline(t) });
        await a.send(1, 'late-tag', new Uint8Array([3]), { deadline: deadline(t) });
        const y = await b.recv(0, 'y', { deadline: deadline(t) });
        const x = await b.recv(0, 'x', { deadline: deadline(t) });
        return [Array.from(await early), Array.from(y), Array.from(x)];
      });
      expect(got).toEqual([[3], [2], [1]]);
    });

    it('every pair at once, both directions (4 endpoints)', async () => {
      const problems = await withEndpoints(4, async (es) => {
        const p = new Problems();
        await Promise.all(
          es.flatMap((e, from) =>
            es.map(async (_, to) => {
              if (to === from) return;
              await e.send(to, 'all', bytes(100 + from * 4 + to, seedOf('pair', from, to)), { deadline: deadline(t) });
            }),
          ),
        );
        await Promise.all(
          es.flatMap((e, to) =>
            es.map(async (_, from) => {
              if (to === from) return;
              p.check(`from ${from} to ${to}`, await e.recv(from, 'all', { deadline: deadline(t) }), bytes(100 + from * 4 + to, seedOf('pair', from, to)));
            }),
          ),
        );
        return p.list;
      });
      expect(problems).toEqual([]);
    });

    it('empty and large payloads; the sender may reuse its buffer once send resolves', async () => {
      const problems = await withEndpoints(2, async ([a, b]) => {
        const p = new Problems();
        const largeLen = Math.min(a.capabilities.maxPayloadBytes, 8 * 1024 * 1024);
        const large = bytes(largeLen, seedOf('large'));
        const copy = large.slice();
        await a.send(1, 'sz', new Uint8Array(0), { deadline: deadline(t) });
        await a.send(1, 'sz', large, { deadline: deadline(t) });
        large.fill(0); // reuse after send resolved
        p.check('empty payload', await b.recv(0, 'sz', { deadline: deadline(t) }), new Uint8Array(0));
        p.check(`payload of ${largeLen} bytes`, await b.recv(0, 'sz', { deadline: deadline(t) }), copy);
        return p.list;
      });
      expect(problems).toEqual([]);
    });

    it('recv into a buffer of the right length; a wrong length fails with protocol', async () => {
      const result = await withEndpoints(2, async ([a, b]) => {
        const p = new Problems();
        await a.send(1, 'into', bytes(64, 1), { deadline: deadline(t) });
        const backing = new Uint8Array(80);
        const into = backing.subarray(8, 72);
        const got = await b.recv(0, 'into', { deadline: deadline(t), into });
        p.check('payload received with into', got, bytes(64, 1));
        await a.send(1, 'into-bad', bytes(64, 2), { deadline: deadline(t) });
        const err = await errorOf(() => b.recv(0, 'into-bad', { deadline: deadline(t), into: new Uint8Array(63) }));
        return { problems: p.list, kind: FmiError.is(err) ? err.kind : String(err) };
      });
      expect(result).toEqual({ problems: [], kind: 'protocol' });
    });

    it('recv with nothing sent fails with timeout within its deadline', async () => {
      const waitMs = 300;
      const { kind, elapsed } = await withEndpoints(2, async ([, b]) => {
        const start = Date.now();
        const err = await errorOf(() => b.recv(0, 'never', { deadline: deadline(waitMs) }));
        return { kind: FmiError.is(err) ? err.kind : String(err), elapsed: Date.now() - start };
      });
      expect(kind).toBe('timeout');
      expect(elapsed).toBeLessThanOrEqual(waitMs + 5_000); // generous: checks it does not hang
    });
  });
}

import type { Communicator } from '@fmi/core';
import type { Runner } from '../runner.js';
import { skipWithReason } from '../runner.js';
import type { ResolvedTarget } from '../target.js';
import { withWorld } from '../world.js';
import { errorOf, summary } from './errors.js';

/** Deadline of the calls that are meant to time out. */
const SHORT_MS = 400;
/** Slack over a deadline before the suite calls it a hang. Generous: this checks bounds, not speed. */
const MARGIN_MS = 5_000;

interface Outcome {
  readonly rank: number;
  readonly kind: string;
  readonly elapsed: number;
  readonly after?: unknown;
}

/** Calls that wait for a rank that never comes. */
const MISSING: ReadonlyArray<{ name: string; call: (comm: Communicator, missing: number) => Promise<unknown> }> = [
  { name: 'allreduce', call: (c) => c.allreduce(new Float64Array([c.rank]), 'sum', { timeoutMs: SHORT_MS }) },
  { name: 'barrier', call: (c) => c.barrier({ timeoutMs: SHORT_MS }) },
  { name: 'bcast whose root never comes', call: (c, missing) => c.bcast(new Int32Array(4), missing, { timeoutMs: SHORT_MS }) },
  { name: 'recv from the missing rank', call: (c, missing) => c.recv(new Int32Array(1), missing, { timeoutMs: SHORT_MS }) },
  { name: 'recvValue from the missing rank', call: (c, missing) => c.recvValue(missing, { timeoutMs: SHORT_MS, tag: 9 }) },
];

/** Timeouts (a rank that never calls) and lost peers (a rank that vanishes): errors, never hangs. */
export function failureSuites(runner: Runner, target: ResolvedTarget): void {
  const { describe, it, expect } = runner;
  const candidates = target.sizes.filter((n) => n >= 3);
  const size = candidates.includes(3) ? 3 : candidates[0];

  describe('timeouts and lost peers', () => {
    if (size === undefined) {
      skipWithReason(runner, 'a missing peer gives timeout', 'needs a world size of at least 3 in target.sizes');
      return;
    }
    for (const { name, call } of MISSING) {
      it(
        `${name}: the other ranks get kind 'timeout' within the deadline, then point-to-point still works and every rank closes`,
        async () => {
          const missing = size - 1;
          const outcomes = await withWorld(target, size, async (comm): Promise<Outcome | undefined> => {
            if (comm.rank === missing) return undefined; // never makes the call; goes straight to close()
            const start = Date.now();
            const kind = summary(await errorOf(() => call(comm, missing)));
            const elapsed = Date.now() - start;
            // The ranks that timed out can still talk to each other.
            let after: unknown;
            if (comm.rank === 0) await comm.sendValue({ still: 'alive' }, 1, { tag: 77 });
            if (comm.rank === 1) after = await comm.recvValue(0, { tag: 77 });
            return { rank: comm.rank, kind, elapsed, after };
          });
          const present = outcomes.filter((o): o is Outcome => o !== undefined);
          expect(present.map((o) => [o.rank, o.kind, o.after])).toEqual(present.map((o) => [o.rank, 'timeout', o.rank === 1 ? { still: 'alive' } : undefined]));
          for (const o of present) {
            expect(o.elapsed).toBeGreaterThanOrEqual(SHORT_MS / 2);
            expect(o.elapsed).toBeLessThanOrEqual(SHORT_MS + MARGIN_MS);
          }
        },
        target.testTimeoutMs,
      );
    }

    it(
      'an operation deadline given by connect({ timeoutMs }) applies when the call gives none',
      async () => {
        const outcomes = await withWorld(
          target,
          2,
          async (comm) => {
            if (comm.rank === 1) return undefined;
            const start = Date.now();
            const kind = summary(await errorOf(() => comm.recv(new Uint8Array(1), 1)));
            return { kind, elapsed: Date.now() - start };
          },
          { timeoutMs: SHORT_MS, closeTimeoutMs: target.timeoutMs },
        );
        expect(outcomes[0]?.kind).toBe('timeout');
        expect(outcomes[0]!.elapsed).toBeLessThanOrEqual(SHORT_MS + MARGIN_MS);
      },
      target.testTimeoutMs,
    );

    it(
      'an aborted signal fails the call with kind aborted',
      async () => {
        const kinds = await withWorld(target, 2, async (comm) => {
          if (comm.rank === 1) return 'not called';
          const controller = new AbortController();
          const pending = errorOf(() => comm.recv(new Uint8Array(1), 1, { signal: controller.signal }));
          setTimeout(() => controller.abort(), 20);
          return summary(await pending);
        });
        expect(kinds).toEqual(['aborted', 'not called']);
      },
      target.testTimeoutMs,
    );

    if (!target.kill) {
      skipWithReason(runner, 'a vanished rank', 'the target gives no kill() to make a rank vanish');
      return;
    }
    it(
      `a rank that vanishes: calls that need it fail with ${target.kind === 'message' ? "'peer-lost'" : "'peer-lost' or 'timeout'"} within the deadline`,
      async () => {
        const victim = size - 1;
        const outcomes = await withWorld(
          target,
          size,
          async (comm, world) => {
            if (comm.rank === victim) {
              await target.kill!([...world.endpoints], victim);
              return undefined;
            }
            await new Promise((resolve) => setTimeout(resolve, 20));
            const start = Date.now();
            const direct = summary(await errorOf(() => comm.recv(new Int32Array(1), victim, { timeoutMs: SHORT_MS })));
            const collective = summary(await errorOf(() => comm.allreduce(new Int32Array([1]), 'sum', { timeoutMs: SHORT_MS })));
            return { direct, collective, elapsed: Date.now() - start };
          },
          { closeErrors: 'ignore', closeTimeoutMs: SHORT_MS, checkLeftovers: false },
        );
        const lostKinds = target.kind === 'message' ? ['peer-lost'] : ['peer-lost', 'timeout'];
        for (const o of outcomes.slice(0, victim)) {
          expect(lostKinds).toContain(o!.direct);
          expect(['peer-lost', 'timeout']).toContain(o!.collective);
          expect(o!.elapsed).toBeLessThanOrEqual(2 * SHORT_MS + MARGIN_MS);
        }
      },
      target.testTimeoutMs,
    );
  });
}

/**
 * A tour of every FMI operation: each rank runs them in the same order, checks its own result
 * against a value computed from the rank and world size alone, and at the end the ranks exchange
 * their verdicts so rank 0 prints one line per operation saying whether it was right everywhere.
 * The exit code is non-zero if any check failed on any rank.
 *
 *   fmi run -n 4 apps/examples/dist/hello-collectives.js
 */
import { isDeepStrictEqual } from 'node:util';
import type { Communicator, CustomOp, TypedArray } from '@fmi/core';
import { parseNumberFlags } from './args.js';
import { isMain, runMain, withWorld } from './entry.js';

export interface CheckResult {
  /** Operation shown, e.g. `allreduce`. */
  readonly op: string;
  /** True when the result was right on every rank. */
  readonly ok: boolean;
  /** What was computed, as rank 0 saw it. */
  readonly detail: string;
  /** Ranks whose result was wrong. */
  readonly failedRanks: readonly number[];
}

export interface HelloResult {
  readonly checks: readonly CheckResult[];
  /** Every check passed on every rank (the same value on every rank). */
  readonly passed: boolean;
}

export interface HelloOptions {
  /** Receives the report line by line (rank 0 of the example passes `console.log`). */
  readonly log?: (line: string) => void;
}

interface LocalCheck {
  readonly op: string;
  readonly ok: boolean;
  readonly detail: string;
}

/**
 * Digit concatenation, `a ⊕ b = 10a + b`: neither commutative nor associative, so FMI must fold it
 * in rank order, ((x0 ⊕ x1) ⊕ x2) ⊕ ..., exactly like the sequential loop that computes the
 * expected value. With x_r = r + 1 the result spells the ranks: 12345 on five ranks.
 */
const CONCAT_DIGITS: CustomOp = { name: 'concat-digits', fn: (a: number, b: number) => a * 10 + b, commutative: false, associative: false };

/** Affine maps x ↦ m·x + c modulo P, packed as m·2^20 + c: products stay below 2^40, exact in float64. */
const P = 1_000_003;
const SHIFT = 2 ** 20;

function affine(m: number, c: number): number {
  return (m % P) * SHIFT + (c % P);
}

function unpack(f: number): { m: number; c: number } {
  return { m: Math.floor(f / SHIFT), c: f % SHIFT };
}

/**
 * Composition of affine maps, `f ⊕ g` = "apply f, then g": x ↦ m_g(m_f·x + c_f) + c_g. Element by
 * element (each element is one map, as FMI's custom ops require), associative like any function
 * composition, and not commutative — so FMI may regroup but never reorder the operands.
 */
const COMPOSE: CustomOp = {
  name: 'compose-affine',
  fn: (f: number, g: number) => {
    const a = unpack(f);
    const b = unpack(g);
    return affine((b.m * a.m) % P, (b.m * a.c + b.c) % P);
  },
  commutative: false,
  associative: true,
};

/**
 * Rank r's map: x ↦ (r + 2)·x + 1. Two affine maps commute only when c_a(m_b − 1) = c_b(m_a − 1);
 * with c = 1 that needs m_a = m_b, so any two ranks' maps give different results in the two orders.
 */
function rankMap(r: number): number {
  return affine(r + 2, 1);
}

function showMap(f: number | undefined): string {
  if (f === undefined) return 'undefined';
  const { m, c } = unpack(f);
  return `x ↦ ${m}·x + ${c} (mod ${P})`;
}

function show(value: TypedArray | readonly unknown[] | undefined): string {
  if (value === undefined) return 'undefined';
  const items = Array.from(value as ArrayLike<unknown>, (v) =>
    typeof v === 'string' ? JSON.stringify(v) : typeof v === 'object' ? JSON.stringify(v) : String(v),
  );
  return `[${items.length > 12 ? `${items.slice(0, 12).join(', ')}, … (${items.length})` : items.join(', ')}]`;
}

function sameArray(actual: TypedArray | undefined, expected: readonly (number | bigint)[] | undefined): boolean {
  if (actual === undefined || expected === undefined) return actual === expected;
  return actual.length === expected.length && Array.from(actual as ArrayLike<number | bigint>).every((v, i) => v === expected[i]);
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/**
 * Runs the tour on `comm` (every rank must call it). Errors from an operation propagate: a rank
 * that stopped half-way would leave the others waiting in the next collective, so a failed call
 * ends the tour rather than being recorded as a failed check.
 */
export async function runHelloCollectives(comm: Communicator, options: HelloOptions = {}): Promise<HelloResult> {
  const log = options.log ?? (() => {});
  const n = comm.size;
  const r = comm.rank;
  const next = (r + 1) % n;
  const prev = (r - 1 + n) % n;
  const local: LocalCheck[] = [];
  const check = (op: string, ok: boolean, detail: string): void => {
    local.push({ op, ok, detail });
  };

  log(`hello-collectives: ${n} rank(s), job ${comm.job}, channels: ${comm.channels.join(', ')}`);

  // Point to point around a ring. Two messages with different tags are received in the opposite
  // order from the one they were sent in: a receive matches by (source, tag), not by arrival.
  {
    const sends = Promise.all([comm.send(Int32Array.of(r, 1), next, { tag: 1 }), comm.send(Int32Array.of(r, 2), next, { tag: 2 })]);
    const second = await comm.recv(new Int32Array(2), prev, { tag: 2 });
    const first = await comm.recv(new Int32Array(2), prev, { tag: 1 });
    await sends;
    check(
      'send/recv',
      sameArray(second, [prev, 2]) && sameArray(first, [prev, 1]),
      `ring: rank ${r} got ${show(second)} on tag 2, then ${show(first)} on tag 1 from rank ${prev}`,
    );
  }

  // Any structured-clonable value: nested objects, Map, Set, Date, typed arrays.
  {
    const make = (from: number) => ({
      from,
      greeting: `hello from rank ${from}`,
      seen: new Set([from]),
      meta: new Map([['when', new Date(Date.UTC(2023, 5, from + 1))]]),
      data: Float32Array.of(from / 2),
    });
    const sent = comm.sendValue(make(r), next, { tag: 3 });
    const got = await comm.recvValue(prev, { tag: 3 });
    await sent;
    check(
      'sendValue/recvValue',
      isDeepStrictEqual(got, make(prev)),
      `rank ${r} got ${JSON.stringify((got as { greeting?: unknown }).greeting)} with its Map, Set, Date and Float32Array intact`,
    );
  }

  {
    const root = n - 1;
    const buf = r === root ? Float64Array.of(Math.PI, Math.E, n) : new Float64Array(3);
    await comm.bcast(buf, root);
    check('bcast', sameArray(buf, [Math.PI, Math.E, n]), `root ${root} → every rank holds ${show(buf)}`);
  }

  {
    const value = { model: 'softmax', layers: [196, 10], lr: 0.5, size: n };
    const got = await comm.bcastValue(r === 0 ? value : undefined, 0);
    check('bcastValue', isDeepStrictEqual(got, value), `root 0 → ${JSON.stringify(got)}`);
  }
  // A barrier has no result; what is checked is that every rank returns from it.
  await comm.barrier();
  check('barrier', true, `all ${n} rank(s) arrived`);

  {
    const got = await comm.gather(Int32Array.of(r, r * r), 0);
    const expected = r === 0 ? range(n).flatMap((i) => [i, i * i]) : undefined;
    check('gather', sameArray(got, expected), `[rank, rank²] at root 0 → ${r === 0 ? show(got) : 'undefined'}`);
  }

  {
    const root = n - 1;
    const got = await comm.gatherValues(`rank-${r}`, root);
    const expected = r === root ? range(n).map((i) => `rank-${i}`) : undefined;
    check('gatherValues', isDeepStrictEqual(got, expected), `strings at root ${root} → ${r === root ? show(got) : 'undefined on non-roots'}`);
  }

  {
    const data = r === 0 ? Int32Array.from(range(2 * n), (i) => i * 10) : undefined;
    const got = await comm.scatter(data, new Int32Array(2), 0);
    check('scatter', sameArray(got, [20 * r, 20 * r + 10]), `root 0 splits [0, 10, …, ${(2 * n - 1) * 10}] → rank ${r} gets ${show(got)}`);
  }

  {
    const got = await comm.reduce(Float64Array.of(r, 1), 'sum', 0);
    check('reduce sum', sameArray(got, r === 0 ? [(n * (n - 1)) / 2, n] : undefined), `sum of [rank, 1] at root 0 → ${r === 0 ? show(got) : 'undefined'}`);
  }

  {
    const got = await comm.reduce(Float64Array.of(r + 1), CONCAT_DIGITS, 0);
    let fold = 1;
    for (let i = 1; i < n; i++) fold = fold * 10 + (i + 1);
    check(
      'reduce custom',
      sameArray(got, r === 0 ? [fold] : undefined),
      `a ⊕ b = 10a + b (non-commutative, non-associative) over rank + 1 → ${r === 0 ? show(got) : 'undefined'}, folded in rank order`,
    );
  }

  {
    const sum = await comm.allreduce(Float64Array.of(r, 1), 'sum');
    const max = await comm.allreduce(Int32Array.of(r, -r), 'max');
    check(
      'allreduce',
      sameArray(sum, [(n * (n - 1)) / 2, n]) && sameArray(max, [n - 1, 0]),
      `sum of [rank, 1] → ${show(sum)}; max of [rank, -rank] → ${show(max)}`,
    );
  }

  {
    const got = await comm.allreduce(Float64Array.of(rankMap(r)), COMPOSE);
    let expected = rankMap(0);
    for (let i = 1; i < n; i++) expected = (COMPOSE.fn as (a: number, b: number) => number)(expected, rankMap(i));
    check(
      'allreduce custom',
      sameArray(got, [expected]),
      `composition of affine maps x ↦ (rank + 2)·x + 1 (associative, non-commutative), rank 0's first → ${showMap(got[0])}`,
    );
  }

  {
    const got = await comm.scan(Int32Array.of(r + 1), 'sum');
    check('scan', sameArray(got, [((r + 1) * (r + 2)) / 2]), `inclusive prefix sum of rank + 1 → rank ${r} gets ${show(got)}`);
  }

  {
    const got = await comm.exscan(Int32Array.of(r + 1), 'sum');
    check('exscan', sameArray(got, r === 0 ? undefined : [(r * (r + 1)) / 2]), `exclusive prefix sum of rank + 1 → rank ${r} gets ${show(got)}`);
  }

  {
    const got = await comm.allgather(Int32Array.of(100 * r, 100 * r + 1));
    check(
      'allgather',
      sameArray(
        got,
        range(n).flatMap((i) => [100 * i, 100 * i + 1]),
      ),
      `[100·rank, 100·rank + 1] → ${show(got)}`,
    );
  }

  {
    const got = await comm.allgatherValues({ rank: r, square: r * r });
    check(
      'allgatherValues',
      isDeepStrictEqual(
        got,
        range(n).map((i) => ({ rank: i, square: i * i })),
      ),
      `{ rank, square } → ${show(got)}`,
    );
  }

  {
    // Block j of rank r's buffer goes to rank j; rank r receives block r of every rank.
    const got = await comm.alltoall(Int32Array.from(range(n), (j) => 1000 * r + j));
    check(
      'alltoall',
      sameArray(
        got,
        range(n).map((j) => 1000 * j + r),
      ),
      `rank r sends 1000·r + j to rank j → rank ${r} gets ${show(got)}`,
    );
  }

  {
    const data = Int32Array.from(range(2 * n), (i) => (i % 2 === 0 ? r + i / 2 : 1));
    const got = await comm.reduceScatter(data, 'sum');
    check('reduceScatter', sameArray(got, [(n * (n - 1)) / 2 + n * r, n]), `block j = [rank + j, 1], summed, block r to rank r → rank ${r} gets ${show(got)}`);
  }

  {
    // Even and odd ranks form two communicators; key = -rank orders each one by descending world rank.
    const sub = await comm.split(r % 2, -r);
    if (sub === undefined) throw new Error(`split returned no communicator on rank ${r} although its color is ${r % 2}`);
    try {
      const members = range(n)
        .filter((i) => i % 2 === r % 2)
        .reverse();
      const worldRanks = await sub.allgather(Int32Array.of(r));
      const sum = await sub.allreduce(Int32Array.of(r), 'sum');
      const ok =
        sub.size === members.length &&
        sub.rank === members.indexOf(r) &&
        sameArray(worldRanks, members) &&
        sameArray(sum, [members.reduce((a, b) => a + b, 0)]);
      check(
        'split',
        ok,
        `color rank % 2, key -rank → rank ${r} is rank ${sub.rank} of ${sub.size} holding world ranks ${show(worldRanks)}; allreduce sum there → ${show(sum)}`,
      );
    } finally {
      await sub.close();
    }
  }

  {
    // The policy's choice depends only on values every rank has, so all ranks must agree on it.
    const plan = comm.plan({ op: 'allreduce', bytes: 16 });
    const best = plan[0];
    const choice = best ? `${best.channel}/${best.algorithm}` : 'none';
    const everyone = await comm.allgatherValues(choice);
    const ok = best !== undefined && best.rank === 0 && comm.channels.includes(best.channel) && everyone.every((c) => c === choice);
    check(
      'plan',
      ok,
      best
        ? `allreduce of 16 B → ${choice} (predicted ${best.timeMs.toFixed(3)} ms, $${best.cost.toExponential(2)}; ${plan.length} candidate(s)), same on every rank`
        : 'no candidate',
    );
  }

  // Every rank's verdicts, one byte per check, so that every rank (and rank 0's report) knows
  // which ranks got which result wrong.
  const verdicts = await comm.allgather(Uint8Array.from(local, (c) => (c.ok ? 1 : 0)));
  const checks: CheckResult[] = local.map((c, i) => {
    const failedRanks = range(n).filter((rank) => verdicts[rank * local.length + i] !== 1);
    return { op: c.op, ok: failedRanks.length === 0, detail: c.detail, failedRanks };
  });
  for (const c of checks) log(`${c.ok ? 'ok  ' : 'FAIL'}  ${c.op.padEnd(19)} ${c.detail}${c.ok ? '' : `  (wrong on rank(s) ${c.failedRanks.join(', ')})`}`);
  const passed = checks.every((c) => c.ok);
  const failed = checks.filter((c) => !c.ok).length;
  log(passed ? `all ${checks.length} checks passed on ${n} rank(s)` : `${failed} of ${checks.length} checks FAILED`);
  return { checks, passed };
}

async function main(): Promise<number> {
  parseNumberFlags(process.argv.slice(2), {}, 'fmi run -n <ranks> hello-collectives.js');
  const { passed } = await withWorld((comm) => runHelloCollectives(comm, { log: comm.rank === 0 ? (line) => console.log(line) : undefined }));
  return passed ? 0 : 1;
}

if (isMain(import.meta.url)) runMain(main);

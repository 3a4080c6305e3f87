import type { Communicator } from '@fmi/core';
import { copyOf, type DataKind, type DType, dtypeOfBuffer, makeData, seedOf, type TypedArray } from './random.js';
import { block, concat, leftFold, Problems, type TestOp } from './reference.js';

/**
 * One collective call as every rank of a world makes it, and how to check it. Each rank derives
 * every rank's input from seeds, so it can compute its expected result without talking to anyone;
 * the reference is memoised per world so the sequential fold runs once per call, not once per rank.
 */

export type CollectiveName = 'bcast' | 'gather' | 'scatter' | 'reduce' | 'allreduce' | 'scan' | 'exscan' | 'allgather' | 'alltoall' | 'reduceScatter';

export const COLLECTIVE_NAMES: readonly CollectiveName[] = [
  'bcast',
  'gather',
  'scatter',
  'reduce',
  'allreduce',
  'scan',
  'exscan',
  'allgather',
  'alltoall',
  'reduceScatter',
];

export const ROOTED: ReadonlySet<CollectiveName> = new Set(['bcast', 'gather', 'scatter', 'reduce']);
export const REDUCING: ReadonlySet<CollectiveName> = new Set(['reduce', 'allreduce', 'scan', 'exscan', 'reduceScatter']);
/** Collectives whose input holds one block per rank (`size × count` elements). */
const BLOCKED: ReadonlySet<CollectiveName> = new Set(['alltoall', 'reduceScatter']);

/**
 * How the call passes its buffers:
 * - `plain`: fresh buffers, the result is a new buffer;
 * - `out`: the result goes to `{ out }` (scatter: the out argument), which must be returned;
 * - `view`: input and out are views at an offset into larger buffers whose other elements must stay untouched;
 * - `in-place`: `out` is the input itself (allreduce, scan, exscan, reduce at the root, alltoall; bcast always is).
 */
export type Variant = 'plain' | 'out' | 'view' | 'in-place';

export interface CollectiveCall {
  readonly coll: CollectiveName;
  readonly dtype: DType;
  /** Reductions: the op and its printable name. */
  readonly op?: TestOp;
  readonly opName?: string;
  readonly root: number;
  /** Elements per rank (per block for alltoall, reduceScatter and scatter). */
  readonly count: number;
  readonly variant: Variant;
  /** Input generator (custom ops bring their own domain); default `makeData` by op. */
  readonly data?: (length: number, seed: number, rank: number) => TypedArray;
}

export function describeCall(call: CollectiveCall, size: number): string {
  const parts: string[] = [call.coll, call.dtype];
  if (call.opName) parts.push(call.opName);
  if (ROOTED.has(call.coll)) parts.push(`root=${call.root}`);
  parts.push(`count=${call.count}`, call.variant, `size=${size}`);
  return parts.join(' ');
}

function dataKindOf(opName: string | undefined): DataKind {
  if (opName === 'prod') return 'prod';
  if (opName === 'land' || opName === 'lor') return 'logical';
  return 'general';
}

/** Rank `rank`'s input of call number `index` (deterministic). */
export function inputOf(call: CollectiveCall, index: number, size: number, rank: number, salt: string): TypedArray {
  const length = BLOCKED.has(call.coll) || call.coll === 'scatter' ? size * call.count : call.count;
  const seed = seedOf(salt, call.coll, call.dtype, call.opName ?? '', size, index, rank);
  if (call.data) return call.data(length, seed, rank);
  return makeData(call.dtype, length, seed, dataKindOf(call.opName), rank);
}

type Memo = Map<string, TypedArray | undefined>;

/** The expected result of `call` on `rank` (undefined where the rank gets nothing). */
function expectedOf(call: CollectiveCall, index: number, size: number, rank: number, salt: string, memo: Memo): TypedArray | undefined {
  const input = (r: number) => inputOf(call, index, size, r, salt);
  const all = () => Array.from({ length: size }, (_, r) => input(r));
  const cached = (key: string, make: () => TypedArray | undefined) => {
    const k = `${index}:${key}`;
    if (!memo.has(k)) memo.set(k, make());
    return memo.get(k);
  };
  const op = call.op!;
  switch (call.coll) {
    case 'bcast':
      return cached('bcast', () => input(call.root));
    case 'gather':
      return rank === call.root ? cached('gather', () => concat(call.dtype, all())) : undefined;
    case 'allgather':
      return cached('allgather', () => concat(call.dtype, all()));
    case 'scatter':
      return block(cached('scatter', () => input(call.root))!, rank, size);
    case 'reduce':
      return rank === call.root ? cached('fold', () => leftFold(op, all())) : undefined;
    case 'allreduce':
      return cached('fold', () => leftFold(op, all()));
    case 'scan':
      return cached(`scan${rank}`, () => leftFold(op, all().slice(0, rank + 1)));
    case 'exscan':
      return rank === 0 ? undefined : cached(`scan${rank - 1}`, () => leftFold(op, all().slice(0, rank)));
    case 'alltoall':
      return concat(
        call.dtype,
        all().map((d) => block(d, rank, size)),
      );
    case 'reduceScatter':
      return block(cached('fold', () => leftFold(op, all()))!, rank, size);
  }
}

const PAD = 3;

/** A view of `length` elements at an offset into a larger buffer filled with sentinels. */
function paddedView(dtype: DType, length: number, seed: number): { view: TypedArray; backing: TypedArray; snapshot: TypedArray } {
  const backing = makeData(dtype, length + 2 * PAD, seed);
  const view = backing.subarray(PAD, PAD + length) as TypedArray;
  return { view, backing, snapshot: copyOf(backing) };
}

function checkPadding(problems: Problems, what: string, padded: { backing: TypedArray; snapshot: TypedArray } | undefined): void {
  if (!padded) return;
  const outside = (b: TypedArray) => concat(dtypeOfBuffer(b)!, [b.subarray(0, PAD) as TypedArray, b.subarray(b.length - PAD) as TypedArray]);
  problems.check(`${what}: elements around the view were overwritten`, outside(padded.backing), outside(padded.snapshot));
}

/** Length of the result buffer on `rank` (for `out`). */
function resultLength(call: CollectiveCall, size: number): number {
  switch (call.coll) {
    case 'gather':
    case 'allgather':
    case 'alltoall':
      return size * call.count;
    default:
      return call.count;
  }
}

/** Whether `rank` passes `{ out }` in this variant (only where it gets a result). */
function takesOut(call: CollectiveCall, rank: number): boolean {
  if (call.variant === 'plain') return false;
  if (call.coll === 'bcast') return false;
  if (call.coll === 'gather' || call.coll === 'reduce') return rank === call.root;
  return true;
}

/**
 * Makes one call on one rank and records what differs from the reference: the result, that it is
 * the `out` buffer when one was given, that inputs are unchanged and that padding is untouched.
 */
export async function runCall(comm: Communicator, call: CollectiveCall, index: number, salt: string, memo: Memo, problems: Problems): Promise<void> {
  const size = comm.size;
  const rank = comm.rank;
  const what = `${describeCall(call, size)} rank=${rank}`;
  const expected = expectedOf(call, index, size, rank, salt, memo);

  const useView = call.variant === 'view';
  const fresh = inputOf(call, index, size, rank, salt);
  const inPadded = useView ? paddedView(call.dtype, fresh.length, seedOf(salt, 'pad-in', index, rank)) : undefined;
  let data: TypedArray = fresh;
  if (inPadded) {
    (inPadded.view as unknown as { set(a: ArrayLike<unknown>): void }).set(fresh as unknown as ArrayLike<unknown>);
    inPadded.snapshot.set(fresh as never, PAD);
    data = inPadded.view;
  }
  const snapshot = copyOf(data);

  let out: TypedArray | undefined;
  let outPadded: ReturnType<typeof paddedView> | undefined;
  if (call.variant === 'in-place' && takesOut(call, rank)) out = data;
  else if (takesOut(call, rank) || call.coll === 'scatter') {
    const len = resultLength(call, size);
    if (useView) {
      outPadded = paddedView(call.dtype, len, seedOf(salt, 'pad-out', index, rank));
      out = outPadded.view;
    } else {
      out = makeData(call.dtype, len, seedOf(salt, 'garbage', index, rank));
    }
  }
  const opts = out && call.coll !== 'scatter' ? { out } : {};
  const op = call.op as never;

  let result: unknown;
  let bcastBuf: TypedArray | undefined;
  switch (call.coll) {
    case 'bcast':
      // Every rank passes a buffer of the same length; a non-root's holds its own (different) data
      // and receives the root's into it.
      bcastBuf = data;
      result = await comm.bcast(bcastBuf, call.root);
      break;
    case 'gather':
      result = await comm.gather(data, call.root, opts);
      break;
    case 'scatter':
      result = await comm.scatter(rank === call.root ? data : undefined, out!, call.root);
      break;
    case 'reduce':
      result = await comm.reduce(data, op, call.root, opts);
      break;
    case 'allreduce':
      result = await comm.allreduce(data, op, opts);
      break;
    case 'scan':
      result = await comm.scan(data, op, opts);
      break;
    case 'exscan':
      result = await comm.exscan(data, op, opts);
      break;
    case 'allgather':
      result = await comm.allgather(data, opts);
      break;
    case 'alltoall':
      result = await comm.alltoall(data, opts);
      break;
    case 'reduceScatter':
      result = await comm.reduceScatter(data, op, opts);
      break;
  }

  if (expected === undefined) {
    problems.expectTrue(`${what}: expected undefined, got ${describeValue(result)}`, result === undefined);
  } else {
    problems.check(what, result, expected);
    if (call.coll === 'bcast') {
      problems.expectTrue(`${what}: bcast must return the buffer it was given`, result === bcastBuf);
      if (bcastBuf) problems.check(`${what}: the buffer received into`, bcastBuf, expected);
    } else if (out) {
      problems.expectTrue(`${what}: the result must be the out buffer`, result === out);
    }
  }
  // Inputs are never modified (bcast non-roots and in-place calls excepted by design).
  const writesInput = call.variant === 'in-place' && out === data;
  if (!writesInput && !(call.coll === 'bcast' && rank !== call.root)) problems.unchanged(what, data, snapshot);
  checkPadding(problems, `${what} (input)`, inPadded);
  checkPadding(problems, `${what} (out)`, outPadded);
}

function describeValue(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as TypedArray).length})`;
  return typeof v;
}

/** Runs `calls` in order on one rank and returns the problems it saw. */
export async function runCalls(comm: Communicator, calls: readonly CollectiveCall[], salt: string, memo: Memo): Promise<string[]> {
  const problems = new Problems();
  for (let i = 0; i < calls.length; i++) await runCall(comm, calls[i], i, salt, memo, problems);
  return problems.list;
}

export function newMemo(): Memo {
  return new Map();
}

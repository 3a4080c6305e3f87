import { randomBytes, randomUUID } from 'node:crypto';
import type { ChannelStats, ObjectChannel } from '../channel.js';
import { Deadline } from '../util/deadline.js';

/**
 * Per-operation latency and request counts of an object channel, for 8 B / 64 KiB / 1 MiB objects,
 * the same measurement for every store so their columns compare:
 *
 * - `put`: one put (for the cloud stores, one create-only upload);
 * - `get`: a get of an object that is there (one GET);
 * - `recv`: a waiting get posted before the put, timed from the start of the put to the reader
 *   holding the bytes — what a `recv` waiting for a `send` sees, polls included;
 * - `list`: listing the job's prefix holding `iterations` objects; `delete`: one object.
 *
 * Request counts come from the channel's own stats (every HTTP request it made, polls that found
 * nothing included: the counters of `PolledStoreChannel`), divided by the number of operations.
 */

export interface ObjectBenchRow {
  readonly bytes: number;
  /** Medians, ms. */
  readonly putMs: number;
  readonly getMs: number;
  readonly recvMs: number;
  readonly listMs: number;
  readonly deleteMs: number;
  /** HTTP requests per operation. */
  readonly putRequests: number;
  readonly getRequests: number;
  readonly recvRequests: number;
}

export interface ObjectBenchOptions {
  /** Object sizes, bytes; default `BENCH_SIZES`. */
  readonly sizes?: readonly number[];
  /** Measured rounds after one warm-up round; default 3. */
  readonly rounds?: number;
  readonly log?: (line: string) => void;
}

/** The object sizes measured by default. */
export const BENCH_SIZES: readonly number[] = [8, 64 * 1024, 1024 * 1024];

function iterationsFor(bytes: number): number {
  return bytes <= 1024 ? 60 : bytes <= 128 * 1024 ? 30 : 12;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const op = () => new Deadline(30_000, 'bench op');

function requestCount(stats: ChannelStats | undefined): number {
  const s = (stats ?? {}) as Record<string, number>;
  // puts, gets that found the object, polls that did not, list pages, deletes, retries: one HTTP request each.
  return (s.puts ?? 0) + (s.gets ?? 0) + (s.polls ?? 0) + (s.listPages ?? 0) + (s.deletes ?? 0) + (s.retries ?? 0) + (s.conflicts ?? 0);
}

/** Runs the benchmark over two endpoints of one job (writer and reader), made by `make`. */
export async function benchObjectChannel(make: () => ObjectChannel, options: ObjectBenchOptions = {}): Promise<ObjectBenchRow[]> {
  const job = `bench-${randomUUID().slice(0, 8)}`;
  const writer = make();
  const reader = make();
  await writer.open({ rank: 0, size: 2, job, logger: quiet, clock: { now: () => Date.now() }, deadline: op() });
  await reader.open({ rank: 1, size: 2, job, logger: quiet, clock: { now: () => Date.now() }, deadline: op() });
  const rows: ObjectBenchRow[] = [];
  let seq = 0;
  try {
    for (const bytes of options.sizes ?? BENCH_SIZES) {
      const value = randomBytes(bytes);
      const n = iterationsFor(bytes);
      const samples = { put: [] as number[], get: [] as number[], recv: [] as number[], list: [] as number[], del: [] as number[] };
      const requests = { put: 0, get: 0, recv: 0 };
      const round = async (record: boolean) => {
        const keys: string[] = [];
        for (let i = 0; i < n; i++) {
          const key = `o/${seq++}`;
          keys.push(key);
          const before = requestCount(writer.stats?.());
          const t0 = performance.now();
          await writer.put(key, value, { deadline: op() });
          const t1 = performance.now();
          const mid = requestCount(writer.stats?.());
          const r0 = requestCount(reader.stats?.());
          const got = await reader.get(key, { wait: false, deadline: op() });
          const t2 = performance.now();
          if (got?.byteLength !== bytes) throw new Error(`bench: got ${got?.byteLength} bytes, expected ${bytes}`);
          if (record) {
            samples.put.push(t1 - t0);
            samples.get.push(t2 - t1);
            requests.put += mid - before;
            requests.get += requestCount(reader.stats?.()) - r0;
          }
        }
        for (let i = 0; i < n; i++) {
          const key = `r/${seq++}`;
          keys.push(key);
          const r0 = requestCount(reader.stats?.());
          const waiting = reader.get(key, { wait: true, deadline: op() });
          // A receiver that is already waiting: let its first poll go out before the put.
          await new Promise((resolve) => setTimeout(resolve, 5));
          const t0 = performance.now();
          await writer.put(key, value, { deadline: op() });
          const got = await waiting;
          const t1 = performance.now();
          if (got?.byteLength !== bytes) throw new Error(`bench: recv got ${got?.byteLength} bytes, expected ${bytes}`);
          if (record) {
            samples.recv.push(t1 - t0);
            requests.recv += requestCount(reader.stats?.()) - r0;
          }
        }
        const l0 = performance.now();
        const listed = await reader.list('', { deadline: op() });
        if (record) samples.list.push(performance.now() - l0);
        if (listed.length < keys.length) throw new Error(`bench: listed ${listed.length} of ${keys.length} objects`);
        for (const key of keys) {
          const d0 = performance.now();
          await writer.delete([key], { deadline: op() });
          if (record) samples.del.push(performance.now() - d0);
        }
      };
      await round(false);
      const rounds = options.rounds ?? 3;
      for (let r = 0; r < rounds; r++) await round(true);
      const ops = n * rounds;
      const row: ObjectBenchRow = {
        bytes,
        putMs: median(samples.put),
        getMs: median(samples.get),
        recvMs: median(samples.recv),
        listMs: median(samples.list),
        deleteMs: median(samples.del),
        putRequests: requests.put / ops,
        getRequests: requests.get / ops,
        recvRequests: requests.recv / ops,
      };
      rows.push(row);
      options.log?.(formatBenchRow(row));
    }
  } finally {
    await writer.close();
    await reader.close();
  }
  return rows;
}

/** `8 B`, `64 KiB`, `1 MiB`. */
function formatSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

/** One line of the bench's table. */
export function formatBenchRow(row: ObjectBenchRow): string {
  const ms = (v: number) => `${v.toFixed(2).padStart(7)} ms`;
  return `${formatSize(row.bytes).padStart(7)}  put ${ms(row.putMs)} (${row.putRequests.toFixed(2)} req)  get ${ms(row.getMs)} (${row.getRequests.toFixed(2)} req)  recv ${ms(row.recvMs)} (${row.recvRequests.toFixed(2)} req)  list ${ms(row.listMs)}  delete ${ms(row.deleteMs)}`;
}

import { randomBytes, randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { Deadline } from '@fmi/core';
import { createClient, RESP_TYPES } from 'redis';
import { RedisChannel } from './redis-channel.js';

/**
 * Latency of the Redis channel against the floor it stands on: a raw SET then GET (each awaited)
 * with the same client library and settings, in the same run, interleaved round by round so that
 * the machine's noise hits both alike. Two figures for the channel:
 *
 * - `put+get`: one rank puts, then gets with `wait: true` (the object is there: the wait path's
 *   SUBSCRIBE+GET in one round trip) — the same two round trips as the raw pair;
 * - `recv`: the reader's `get(wait)` is posted first, then the writer puts; timed from the start of
 *   the put to the reader holding the bytes — what a `recv` waiting for a `send` sees.
 *
 * Usage: `node bench.js [redis://host:port] [--rounds 5]` (default URL: FMI_REDIS_URL).
 */

export interface RedisBenchRow {
  readonly bytes: number;
  /** Medians, microseconds. */
  readonly rawSetGetUs: number;
  readonly putGetUs: number;
  readonly recvUs: number;
}

export interface RedisBenchOptions {
  readonly sizes?: readonly number[];
  readonly rounds?: number;
  readonly log?: (line: string) => void;
}

const DEFAULT_SIZES = [8, 64 * 1024, 1024 * 1024];

function iterationsFor(bytes: number): number {
  if (bytes <= 1024) return 400;
  if (bytes <= 128 * 1024) return 150;
  return 40;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function ctx(job: string, rank: number) {
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  return { rank, size: 2, job, logger: quiet, clock: { now: () => Date.now() }, deadline: new Deadline(10_000, 'bench open') };
}

/** Runs the benchmark against the Redis server at `url` and returns one row per size. */
export async function benchRedisChannel(url: string, options: RedisBenchOptions = {}): Promise<RedisBenchRow[]> {
  const sizes = options.sizes ?? DEFAULT_SIZES;
  const rounds = options.rounds ?? 5;
  const job = `bench-${randomUUID()}`;
  const writer = new RedisChannel({ url, ttlSeconds: 600 });
  const reader = new RedisChannel({ url, ttlSeconds: 600 });
  const raw = createClient({ url, RESP: 3, disableOfflineQueue: true }).withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
  raw.on('error', () => {});
  await writer.open(ctx(job, 0));
  await reader.open(ctx(job, 1));
  await raw.connect();
  const rows: RedisBenchRow[] = [];
  try {
    for (const bytes of sizes) {
      const value = randomBytes(bytes);
      const n = iterationsFor(bytes);
      const rawSamples: number[] = [];
      const putGetSamples: number[] = [];
      const recvSamples: number[] = [];
      let seq = 0;
      const op = () => new Deadline(10_000, 'bench op');
      const check = (got: Uint8Array | null | undefined) => {
        if (!got || got.byteLength !== bytes) throw new Error(`bench: got ${got?.byteLength} bytes, expected ${bytes}`);
      };

      const runRaw = async (record: boolean) => {
        for (let i = 0; i < n; i++) {
          const key = `fmi:${job}/raw/${seq++}`;
          const t0 = performance.now();
          await raw.set(key, value, { expiration: { type: 'EX', value: 600 } });
          const got = await raw.get(key);
          const t1 = performance.now();
          check(got);
          if (record) rawSamples.push(t1 - t0);
          await raw.unlink(key);
        }
      };
      const runPutGet = async (record: boolean) => {
        for (let i = 0; i < n; i++) {
          const key = `pg/${seq++}`;
          const t0 = performance.now();
          await writer.put(key, value, { deadline: op() });
          const got = await reader.get(key, { wait: true, deadline: op() });
          const t1 = performance.now();
          check(got);
          if (record) putGetSamples.push(t1 - t0);
          await writer.delete([key], { deadline: op() });
        }
      };
      const runRecv = async (record: boolean) => {
        for (let i = 0; i < n; i++) {
          const key = `recv/${seq++}`;
          const waiting = reader.get(key, { wait: true, deadline: op() });
          // Let the reader's SUBSCRIBE+GET reach the server first, as a receiver that is already waiting would.
          await reader.get('nothing', { wait: false, deadline: op() });
          const t0 = performance.now();
          await writer.put(key, value, { deadline: op() });
          const got = await waiting;
          const t1 = performance.now();
          check(got);
          if (record) recvSamples.push(t1 - t0);
          await writer.delete([key], { deadline: op() });
        }
      };

      // Warm-up (JIT, connection buffers), then interleaved rounds.
      await runRaw(false);
      await runPutGet(false);
      await runRecv(false);
      for (let r = 0; r < rounds; r++) {
        await runRaw(true);
        await runPutGet(true);
        await runRecv(true);
      }
      const row: RedisBenchRow = {
        bytes,
        rawSetGetUs: median(rawSamples) * 1000,
        putGetUs: median(putGetSamples) * 1000,
        recvUs: median(recvSamples) * 1000,
      };
      rows.push(row);
      options.log?.(formatRow(row));
    }
  } finally {
    await writer.close();
    await reader.close();
    await raw.close();
  }
  return rows;
}

function formatSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

export function formatRow(row: RedisBenchRow): string {
  const us = (v: number) => `${v.toFixed(0).padStart(7)} µs`;
  return `${formatSize(row.bytes).padStart(7)}  raw SET+GET ${us(row.rawSetGetUs)}  put+get(wait) ${us(row.putGetUs)} (x${(row.putGetUs / row.rawSetGetUs).toFixed(2)})  recv after put ${us(row.recvUs)} (x${(row.recvUs / row.rawSetGetUs).toFixed(2)})`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const roundsAt = args.indexOf('--rounds');
  const rounds = roundsAt >= 0 ? Number(args[roundsAt + 1]) : 5;
  const url = args.find((a) => a.startsWith('redis://') || a.startsWith('rediss://')) ?? process.env.FMI_REDIS_URL;
  if (!url) {
    console.error('[fmi] [redis] bench: give a Redis URL (argument or FMI_REDIS_URL)');
    process.exitCode = 2;
    return;
  }
  console.log(`Redis channel vs raw SET+GET, medians of ${rounds} interleaved rounds`);
  await benchRedisChannel(url, { rounds, log: (line) => console.log(line) });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}

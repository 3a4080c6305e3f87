import { createServer, connect as netConnect, type Socket } from 'node:net';
import { Deadline } from '@fmi/core';
import { openDirectWorld } from './loopback-world.js';

/**
 * Benchmark of the direct channel against plain `node:net` in the same run, on loopback, both ends
 * in this process: ping-pong (half round trip) at 8 B, 64 KiB and 1 MiB, one-way bandwidth of
 * 16 MiB messages, and the time to open 8 and 64 ranks (and to pair all of them).
 *
 *   node providers/self-hosted/dist/direct/bench.js [rounds]
 *
 * Compare ratios within one run only; the machine is shared and noisy (notes/performance.md).
 */

const SIZES = [8, 64 * 1024, 1024 * 1024];
const BULK = 16 * 1024 * 1024;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function iterations(bytes: number): number {
  return bytes <= 1024 ? 2_000 : bytes <= 64 * 1024 ? 500 : 100;
}

/** Plain `net` pair: an echo that returns every `n` bytes it gets, as one ping-pong round. */
async function netPair(): Promise<{ a: Socket; b: Socket; close(): void }> {
  let b!: Socket;
  const server = createServer((s) => {
    b = s;
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const a = netConnect({ port, host: '127.0.0.1', noDelay: true });
  await new Promise<void>((r) => a.once('connect', () => r()));
  while (!b) await new Promise((r) => setImmediate(r));
  b.setNoDelay(true);
  return {
    a,
    b,
    close: () => {
      a.destroy();
      b.destroy();
      server.close();
    },
  };
}

/** Resolves once `n` bytes have arrived on `s`. */
function receive(s: Socket, n: number): Promise<void> {
  return new Promise((resolve) => {
    let got = 0;
    const on = (d: Buffer) => {
      got += d.length;
      if (got >= n) {
        s.off('data', on);
        resolve();
      }
    };
    s.on('data', on);
  });
}

async function netPingPong(bytes: number): Promise<number> {
  const { a, b, close } = await netPair();
  const buf = Buffer.alloc(bytes, 1);
  const times: number[] = [];
  for (let i = 0; i < iterations(bytes); i++) {
    const t = process.hrtime.bigint();
    const atB = receive(b, bytes);
    a.write(buf);
    await atB;
    const atA = receive(a, bytes);
    b.write(buf);
    await atA;
    times.push(Number(process.hrtime.bigint() - t) / 2e3);
  }
  close();
  return median(times);
}

async function netBandwidth(rounds: number): Promise<number> {
  const { a, b, close } = await netPair();
  const buf = Buffer.alloc(BULK, 1);
  const rates: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t = process.hrtime.bigint();
    const atB = receive(b, BULK);
    a.write(buf);
    await atB;
    rates.push(BULK / (Number(process.hrtime.bigint() - t) / 1e9) / 1e9);
  }
  close();
  return median(rates);
}

async function directPingPong(bytes: number): Promise<number> {
  const world = await openDirectWorld(2);
  const [a, b] = world.channels;
  const buf = new Uint8Array(bytes).fill(1);
  const intoA = new Uint8Array(bytes);
  const intoB = new Uint8Array(bytes);
  const deadline = new Deadline(60_000, 'bench');
  const opts = { deadline };
  await a.send(1, 'w', buf, opts);
  await b.recv(0, 'w', opts);
  const times: number[] = [];
  for (let i = 0; i < iterations(bytes); i++) {
    const t = process.hrtime.bigint();
    const atB = b.recv(0, 'p', { deadline, into: intoB });
    await a.send(1, 'p', buf, opts);
    await atB;
    const atA = a.recv(1, 'p', { deadline, into: intoA });
    await b.send(0, 'p', buf, opts);
    await atA;
    times.push(Number(process.hrtime.bigint() - t) / 2e3);
  }
  deadline.dispose();
  await world.close();
  return median(times);
}

async function directBandwidth(rounds: number): Promise<number> {
  const world = await openDirectWorld(2);
  const [a, b] = world.channels;
  const buf = new Uint8Array(BULK).fill(1);
  const into = new Uint8Array(BULK);
  const deadline = new Deadline(60_000, 'bench');
  await a.send(1, 'w', new Uint8Array(1), { deadline });
  await b.recv(0, 'w', { deadline });
  const rates: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t = process.hrtime.bigint();
    await Promise.all([a.send(1, 'bulk', buf, { deadline }), b.recv(0, 'bulk', { deadline, into })]);
    rates.push(BULK / (Number(process.hrtime.bigint() - t) / 1e9) / 1e9);
  }
  deadline.dispose();
  await world.close();
  return median(rates);
}

/** Opens `size` ranks, then pairs every rank with every other (all-pairs exchange). */
async function connectTimes(size: number): Promise<{ openMs: number; allPairsMs: number }> {
  const t0 = performance.now();
  const world = await openDirectWorld(size);
  const openMs = performance.now() - t0;
  const deadline = new Deadline(120_000, 'bench pairs');
  const t1 = performance.now();
  await Promise.all(
    world.channels.flatMap((ch, r) =>
      world.channels.map(async (_, p) => {
        if (p === r) return;
        await ch.send(p, 'hello', new Uint8Array([r]), { deadline });
        await ch.recv(p, 'hello', { deadline });
      }),
    ),
  );
  const allPairsMs = performance.now() - t1;
  deadline.dispose();
  await world.close();
  return { openMs, allPairsMs };
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 5);
  const rows: string[] = [];
  for (const bytes of SIZES) {
    const net: number[] = [];
    const direct: number[] = [];
    // Interleaved, so drift of a noisy machine hits both alike.
    for (let i = 0; i < 3; i++) {
      net.push(await netPingPong(bytes));
      direct.push(await directPingPong(bytes));
    }
    const n = median(net);
    const d = median(direct);
    rows.push(
      `ping-pong ${String(bytes).padStart(8)} B   net ${n.toFixed(1).padStart(7)} µs   direct ${d.toFixed(1).padStart(7)} µs   direct/net ${(d / n).toFixed(2)}`,
    );
  }
  const nb: number[] = [];
  const db: number[] = [];
  for (let i = 0; i < 3; i++) {
    nb.push(await netBandwidth(rounds));
    db.push(await directBandwidth(rounds));
  }
  rows.push(
    `bandwidth 16 MiB        net ${median(nb).toFixed(2)} GB/s   direct ${median(db).toFixed(2)} GB/s   direct/net ${(median(db) / median(nb)).toFixed(2)}`,
  );
  for (const size of [8, 64]) {
    const t = await connectTimes(size);
    rows.push(`connect ${size} ranks        open ${t.openMs.toFixed(0)} ms   all ${(size * (size - 1)) / 2} pairs ${t.allPairsMs.toFixed(0)} ms`);
  }
  process.stdout.write(`${rows.join('\n')}\n`);
}

main().catch((e) => {
  process.stderr.write(`${String(e?.stack ?? e)}\n`);
  process.exit(1);
});

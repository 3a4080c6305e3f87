// One rank of a two-rank job, run inside a network namespace behind a NAT by nat.e2e.test.ts.
// Plain ESM over the built packages (dist/), as a deployed function would run them.
// Environment: the FMI_* contract, plus NAT_TEST_PATHS (JSON array of paths) and NAT_TEST_PUNCH_MS, both optional.
// Prints one JSON line: { rank, path, sum, bulkOk } — or { rank, error, kind } and exits 1.
import { connect, Deadline } from '@fmi/core';
import { directChannelProvider } from '../../providers/self-hosted/dist/direct/provider.js';

const rank = Number(process.env.FMI_RANK);
const size = Number(process.env.FMI_SIZE);
const peer = 1 - rank;
const options = {};
if (process.env.NAT_TEST_PATHS) options.paths = JSON.parse(process.env.NAT_TEST_PATHS);
if (process.env.NAT_TEST_PUNCH_MS) options.punchTimeoutMs = Number(process.env.NAT_TEST_PUNCH_MS);
const logger = {
  debug: (m, f) => process.stderr.write(`${m} ${JSON.stringify(f ?? {})}\n`),
  info() {},
  warn: (m) => process.stderr.write(`${m}\n`),
  error: (m) => process.stderr.write(`${m}\n`),
};

try {
  const channel = directChannelProvider(options).create({
    rank,
    size,
    job: process.env.FMI_JOB,
    secret: process.env.FMI_SECRET,
    config: { channels: {}, model: {}, hint: 'fast', timeoutMs: 30_000, memoryMiB: 2048, logLevel: 'warn', job: undefined, channel: undefined },
    env: process.env,
    logger,
    clock: { now: () => Date.now() },
  });
  if (!channel) throw new Error('the direct channel was not created: FMI_RENDEZVOUS missing');
  const comm = await connect({ channels: [channel], logger, timeoutMs: 30_000 });

  // A collective through core, over whatever path the pair took.
  const data = new Float64Array(1024).fill(rank + 1);
  const sum = await comm.allreduce(data, 'sum');

  // 4 MiB each way on the raw channel: the path carries bulk data intact.
  const bulk = new Uint8Array(4 * 1024 * 1024).map((_, i) => (i * 7 + rank) & 0xff);
  const deadline = new Deadline(30_000, 'bulk exchange');
  const [, got] = await Promise.all([channel.send(peer, 'nat-bulk', bulk, { deadline }), channel.recv(peer, 'nat-bulk', { deadline })]);
  deadline.dispose();
  let bulkOk = got.byteLength === bulk.byteLength;
  for (let i = 0; bulkOk && i < got.byteLength; i++) if (got[i] !== ((i * 7 + peer) & 0xff)) bulkOk = false;

  const path = channel.stats().paths[String(peer)];
  await comm.close();
  process.stdout.write(`${JSON.stringify({ rank, path, sum: [sum[0], sum[1023]], bulkOk })}\n`);
  process.exit(0);
} catch (e) {
  process.stdout.write(`${JSON.stringify({ rank, error: String(e?.message ?? e), kind: e?.kind })}\n`);
  process.exit(1);
}

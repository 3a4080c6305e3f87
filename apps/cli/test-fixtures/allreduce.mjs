// A rank of an `fmi run` test job: one allreduce over the world, checked against the closed form.
// It writes its stats to FMI_STATS_FILE itself, so the CLI's summary is exercised whether or not
// core's close() writes them too.
import { writeFileSync } from 'node:fs';
import { connect } from '@fmi/core';
import { selfHosted } from '@fmi/self-hosted';

const comm = await connect({ modules: [selfHosted()] });
const n = 1000;
const mine = Float64Array.from({ length: n }, (_, i) => comm.rank * n + i);
const sum = await comm.allreduce(mine, 'sum');
// Sum over ranks r of (r*n + i) = n*S(S-1)/2 + S*i, with S the world size.
const S = comm.size;
for (let i = 0; i < n; i++) {
  const want = (n * S * (S - 1)) / 2 + S * i;
  if (sum[i] !== want) throw new Error(`rank ${comm.rank}: allreduce[${i}] = ${sum[i]}, want ${want}`);
}
console.log(`rank ${comm.rank}/${comm.size} allreduce ok via ${comm.plan({ op: 'allreduce', bytes: mine.byteLength })[0].channel}`);
const stats = comm.stats();
await comm.close();
if (process.env.FMI_STATS_FILE) writeFileSync(process.env.FMI_STATS_FILE, JSON.stringify(stats));

import { type Hint, OP_NAMES, type OpName, rankChoices, resolveConfig } from '@fmi/core';
import { createChannels, effectivePrices, policyChannels } from '../channel-models.js';
import { UsageError } from '../cli-error.js';
import { bool, choiceFlag, intFlag, parseFlags, sizeFlag, str } from '../flags.js';
import { loadProviders } from '../provider-modules.js';
import { formatBytes, formatCount, formatMs, formatUsd } from '../size.js';
import { formatTable } from '../table.js';
import type { CommandIo } from './io.js';

export const PLAN_HELP = `usage: fmi plan --ranks N --bytes SIZE [options]

The policy's ranking of every (channel, algorithm) pair for one call, best first, with the model's
predicted time and cost — exactly what comm.plan() answers inside a job with the same settings. It
opens no connection: channels whose settings are absent are planned with their default model.

options:
  -n, --ranks N          world size (required)
  -b, --bytes SIZE       bytes of the call's buffer on one rank: 8, 64KiB, 1MiB, 16MB (required)
      --op OP            ${OP_NAMES.join(', ')} (default allreduce)
      --hint HINT        fast (least time) or cheap (least cost; default from config, else cheap)
      --channels LIST    only these channels, comma-separated: direct,redis,s3,...
      --non-commutative  plan a reduction whose op is not commutative (rank-order algorithms only)
      --config FILE      an fmi.json (model overrides, memoryMiB, channel settings)
      --memory MIB       function memory for the cost model (default from config, else 2048)
      --json             print the ranking as JSON
  -h, --help             this help`;

/** `fmi plan`: prints the ranking as a table (or JSON). */
export async function planCommand(args: readonly string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseFlags('plan', args, {
    ranks: { type: 'string', short: 'n' },
    bytes: { type: 'string', short: 'b' },
    op: { type: 'string' },
    hint: { type: 'string' },
    channels: { type: 'string' },
    'non-commutative': { type: 'boolean' },
    config: { type: 'string' },
    memory: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
    verbose: { type: 'boolean' },
  });
  if (bool(values, 'help')) {
    io.out(PLAN_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(positionals[0], 'unexpected argument — see `fmi plan --help`');
  const ranks = intFlag('--ranks', str(values, 'ranks'), { min: 1, max: 1_000_000 });
  if (ranks === undefined) throw new UsageError('--ranks', 'is required — the world size to plan for');
  const bytes = sizeFlag('--bytes', str(values, 'bytes'));
  if (bytes === undefined) throw new UsageError('--bytes', 'is required — the size of the buffer on one rank, e.g. 1MiB');
  const op = choiceFlag<OpName>('--op', str(values, 'op'), OP_NAMES) ?? 'allreduce';
  const hintFlag = choiceFlag<Hint>('--hint', str(values, 'hint'), ['fast', 'cheap']);
  const memoryMiB = intFlag('--memory', str(values, 'memory'), { min: 1, max: 1024 * 1024 });
  const only = str(values, 'channels')
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (only !== undefined && only.length === 0) throw new UsageError('--channels', 'needs at least one channel name, e.g. direct,redis');

  const config = await resolveConfig({ file: str(values, 'config'), env: io.env, options: { ...(memoryMiB ? { memoryMiB } : {}) } });
  const hint = hintFlag ?? config.hint;
  const providers = await loadProviders();
  let created = createChannels({ providers: providers.channels, config, env: io.env, size: ranks, job: 'plan', placeholders: true });
  if (only) {
    const known = created.map((c) => c.name);
    for (const name of only)
      if (!known.includes(name))
        throw new UsageError(
          '--channels',
          `no loaded provider offers channel "${name}" (available: ${known.join(', ') || 'none'}${installHint(providers.packages)})`,
        );
    created = created.filter((c) => only.includes(c.name));
  }
  if (created.length === 0) throw new UsageError('--channels', 'no channel to plan with');
  const commutative = !bool(values, 'non-commutative');
  const ranking = rankChoices(
    policyChannels(created, config),
    { op, bytes, n: ranks, hint, commutative, associative: true, channel: undefined },
    effectivePrices(providers.priceBook, config),
    config.memoryMiB,
  );
  const entries = ranking.map(({ channel, algorithm, timeMs, cost, requests, rank }) => ({ channel, algorithm, timeMs, cost, requests, rank }));

  if (bool(values, 'json')) {
    io.out(JSON.stringify(entries, null, 2));
    return 0;
  }
  io.out(`${op} of ${formatBytes(bytes)} per rank on ${ranks} ranks, hint ${hint} — ${config.memoryMiB} MiB functions, ${providers.priceBook.name} prices`);
  io.out('');
  if (entries.length === 0) {
    io.out(`no channel can run ${op} of ${formatBytes(bytes)} (every candidate exceeds a channel's payload limit or needs a capability it lacks)`);
    return 1;
  }
  const kinds = new Map(created.map((c) => [c.name, c.channel.kind]));
  io.out(
    formatTable(
      ['#', 'channel', 'algorithm', 'time', 'cost', 'requests'],
      entries.map((e) => [
        String(e.rank),
        e.channel,
        e.algorithm,
        formatMs(e.timeMs),
        formatUsd(e.cost),
        kinds.get(e.channel) === 'message' ? `${formatCount(e.requests)} msgs` : formatCount(e.requests),
      ]),
      ['r', 'l', 'l', 'r', 'r', 'r'],
    ),
  );
  io.out('');
  const chosen = entries[0];
  io.out(`chosen: ${chosen.channel}/${chosen.algorithm} (${hint === 'fast' ? 'least predicted time' : 'least predicted cost'})`);
  const placeholders = created.filter((c) => c.placeholder).map((c) => c.name);
  if (placeholders.length > 0) io.out(`settings absent for ${placeholders.join(', ')}: planned with the default model (no server is contacted)`);
  return 0;
}

function installHint(packages: readonly string[]): string {
  const cloud = ['@fmi/aws', '@fmi/gcp', '@fmi/azure'].filter((p) => !packages.includes(p));
  return cloud.length > 0 ? `; install ${cloud.join(', ')} for their channels` : '';
}

import { Deadline, type ObjectChannel, resolveConfig } from '@fmi/core';
import { createChannels } from '../channel-models.js';
import { UsageError } from '../cli-error.js';
import { bool, intFlag, parseFlags, str } from '../flags.js';
import { loadProviders } from '../provider-modules.js';
import { formatCount } from '../size.js';
import { formatTable } from '../table.js';
import type { CommandIo } from './io.js';

export const GC_HELP = `usage: fmi gc --job ID [--channel NAME] [--config FILE] [--timeout MS]

Deletes what a job left in the object stores (Redis, S3, ...): the objects and counters of ranks
that crashed before close(). Every store whose settings are present (FMI_REDIS_URL, --config, ...)
is cleaned, or only --channel. Message channels (direct) store nothing. Safe to run twice; never
run it on a job that is still running.

options:
      --job ID         the job to clean up (required)
      --channel NAME   only this channel, e.g. redis
      --config FILE    an fmi.json with the stores' settings
      --timeout MS     bound of the clean-up per store (default 60000)
  -h, --help           this help`;

const DELETE_BATCH = 500;

/**
 * `fmi gc`. Works through the ObjectChannel contract alone: open the store's channel as the only
 * rank of the job, list every key under the job (list is scoped to the job by contract), delete in
 * batches, close. Any object channel, first-party or not, is covered without code of its own.
 */
export async function gcCommand(args: readonly string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseFlags('gc', args, {
    job: { type: 'string' },
    channel: { type: 'string' },
    config: { type: 'string' },
    timeout: { type: 'string' },
    verbose: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (bool(values, 'help')) {
    io.out(GC_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(positionals[0], 'unexpected argument — see `fmi gc --help`');
  const job = str(values, 'job');
  if (job === undefined) throw new UsageError('--job', 'is required: the id of the job whose objects to delete');
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(job)) throw new UsageError('--job', `"${job}" is not a job id (letters, digits, ".", "_" and "-")`);
  const timeoutMs = intFlag('--timeout', str(values, 'timeout'), { min: 1, max: 24 * 3_600_000 }) ?? 60_000;
  const only = str(values, 'channel');

  const config = await resolveConfig({ file: str(values, 'config'), env: io.env, options: { job } });
  const providers = await loadProviders();
  const created = createChannels({ providers: providers.channels, config, env: io.env, size: 1, job, placeholders: false });
  const stores = created.filter((c) => c.channel.kind === 'object' && (only === undefined || c.name === only));
  if (only !== undefined && !created.some((c) => c.name === only)) {
    const offered = providers.channels.map((p) => p.name);
    throw new UsageError(
      '--channel',
      offered.includes(only)
        ? `channel "${only}" has no settings — set them (e.g. FMI_REDIS_URL) or pass --config`
        : `no loaded provider offers channel "${only}" (loaded: ${offered.join(', ')})`,
    );
  }
  if (only !== undefined && stores.length === 0) {
    io.out(`${only} is a message channel: it stores nothing, there is nothing to delete`);
    return 0;
  }
  if (stores.length === 0) {
    io.out('no object store is configured (set FMI_REDIS_URL, or pass --config with channel settings): nothing to delete');
    return 0;
  }
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const rows: string[][] = [];
  let failed: unknown;
  for (const { name, channel } of stores) {
    const store = channel as ObjectChannel;
    const deadline = new Deadline(timeoutMs, `gc of job "${job}" on ${name}`);
    try {
      await store.open({ rank: 0, size: 1, job, logger: quiet, clock: { now: () => Date.now() }, deadline });
      try {
        const keys = await store.list('', { deadline });
        for (let i = 0; i < keys.length; i += DELETE_BATCH) await store.delete(keys.slice(i, i + DELETE_BATCH), { deadline });
        rows.push([name, formatCount(keys.length)]);
      } finally {
        await store.close();
      }
    } catch (e) {
      rows.push([name, 'failed']);
      failed ??= e;
    } finally {
      deadline.dispose();
    }
  }
  io.out(formatTable(['store', 'objects deleted'], rows, ['l', 'r']));
  if (failed) throw failed;
  return 0;
}

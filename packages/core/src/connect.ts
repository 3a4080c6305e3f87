import { Container, type ContainerModule } from 'inversify';
import type { Communicator } from './api.js';
import type { Channel } from './channel.js';
import { CommunicatorImpl } from './communicator.js';
import { resolveConfig } from './config/load.js';
import type { FmiConfig, FmiConfigInput, Hint } from './config/schema.js';
import { FmiError } from './errors.js';
import { consoleLogger, systemClock } from './logger.js';
import { DEFAULT_PRICE_BOOK, type PolicyChannel } from './model/policy.js';
import { effectiveModel, Session } from './session.js';
import { type ChannelProvider, type Clock, type Logger, type PriceBook, TOKENS } from './tokens.js';
import { Deadline } from './util/deadline.js';

export interface ConnectOptions {
  /** This rank (default: FMI_RANK). */
  readonly rank?: number;
  /** World size (default: FMI_SIZE). */
  readonly size?: number;
  /** Job id, the namespace of every key and pairing (default: FMI_JOB, then config `job`). */
  readonly job?: string;
  /** Job secret for the rendezvous server (default: FMI_SECRET). Never logged. */
  readonly secret?: string;
  /** Provider modules (`selfHosted(...)`, `aws(...)`, a third-party channel). */
  readonly modules?: readonly ContainerModule[];
  /** Channel endpoints built by the caller (tests, custom wiring); opened by `connect`. */
  readonly channels?: readonly Channel[];
  /** Path of an `fmi.json`, or its parsed content (default: FMI_CONFIG). */
  readonly config?: string | FmiConfigInput | Record<string, unknown>;
  readonly hint?: Hint;
  /** Force one channel by name. */
  readonly channel?: string;
  readonly timeoutMs?: number;
  /** Function memory, for the cost model. */
  readonly memoryMiB?: number;
  /** Environment to read (default: `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly logger?: Logger;
  /**
   * Check at connect time that every rank resolved the same channels and model (a mismatch would
   * make ranks choose different algorithms and hang). Costs one small allgather. Default true.
   */
  readonly verify?: boolean;
}

/**
 * Builds the world communicator of this rank: resolves and validates the configuration, loads the
 * provider modules into an inversify container, creates and opens every channel whose settings are
 * present, and checks that all ranks agree on the channels. With no arguments it reads the
 * environment contract (FMI_RANK, FMI_SIZE, FMI_JOB, ...), as a launched rank does.
 */
export async function connect(options: ConnectOptions = {}): Promise<Communicator> {
  const env = options.env ?? process.env;
  const config = await resolveConfig({
    file: options.config as never,
    env,
    options: stripUndefined({ hint: options.hint, channel: options.channel, timeoutMs: options.timeoutMs, memoryMiB: options.memoryMiB, job: options.job }),
  });
  const rank = intFrom(options.rank, env.FMI_RANK, 'rank', 'FMI_RANK');
  const size = intFrom(options.size, env.FMI_SIZE, 'size', 'FMI_SIZE');
  if (size < 1) throw new FmiError('config', `size must be at least 1, got ${size}`, { field: 'size' });
  if (rank < 0 || rank >= size) throw new FmiError('config', `rank must be in 0..${size - 1}, got ${rank}`, { field: 'rank' });
  const job = options.job ?? config.job ?? env.FMI_JOB;
  if (!job) throw new FmiError('config', 'no job id: pass { job }, set FMI_JOB or config "job"', { field: 'job' });
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(job))
    throw new FmiError('config', `job id "${job}" may only hold letters, digits, ".", "_" and "-" (at most 128)`, { field: 'job' });

  const container = new Container();
  for (const m of options.modules ?? []) await container.load(m);
  const logger: Logger = options.logger ?? (container.isBound(TOKENS.Logger) ? container.get<Logger>(TOKENS.Logger) : consoleLogger(config.logLevel));
  const clock: Clock = container.isBound(TOKENS.Clock) ? container.get<Clock>(TOKENS.Clock) : systemClock;
  const prices = priceBook(pickPriceBook(container.isBound(TOKENS.PriceBook) ? container.getAll<PriceBook>(TOKENS.PriceBook) : [], env), config);
  const providers = container.isBound(TOKENS.ChannelProvider) ? container.getAll<ChannelProvider>(TOKENS.ChannelProvider) : [];

  const secret = options.secret ?? env.FMI_SECRET;
  const created: Channel[] = [...(options.channels ?? [])];
  for (const p of providers) {
    const ch = p.create({ rank, size, job, secret, config, env, logger, clock });
    if (ch) created.push(ch);
  }
  const names = new Set<string>();
  for (const ch of created) {
    if (names.has(ch.name)) throw new FmiError('config', `two channels are named "${ch.name}" — load each provider once`, { field: 'modules' });
    names.add(ch.name);
  }
  const known = new Set([...names, ...providers.map((p) => p.name)]);
  for (const name of Object.keys(config.channels)) {
    if (!known.has(name))
      throw new FmiError('config', `config has settings for channel "${name}" but no loaded module provides it (loaded: ${[...known].join(', ') || 'none'})`, {
        field: `channels.${name}`,
      });
  }
  if (config.channel && !names.has(config.channel)) {
    throw new FmiError(
      'config',
      `channel "${config.channel}" was forced but is not available — its settings may be missing (available: ${[...names].join(', ') || 'none'})`,
      { field: 'channel' },
    );
  }
  if (created.length === 0) {
    throw new FmiError(
      'config',
      'no channel is available: load a provider module (e.g. selfHosted()) and give its settings (e.g. FMI_RENDEZVOUS or FMI_REDIS_URL)',
      { field: 'channels' },
    );
  }
  created.sort((a, b) => (a.name < b.name ? -1 : 1));

  const deadline = new Deadline(config.timeoutMs, `[rank ${rank}] connect`);
  try {
    const opened: Channel[] = [];
    const results = await Promise.allSettled(
      created.map(async (ch) => {
        await ch.open({ rank, size, job, logger, clock, deadline });
        opened.push(ch);
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await Promise.allSettled(opened.map((ch) => ch.close()));
      throw failed.reason;
    }
  } finally {
    deadline.dispose();
  }

  const targets: PolicyChannel[] = created.map((channel) => ({ name: channel.name, channel, model: effectiveModel(channel.name, channel.model, config) }));
  const session = new Session(job, rank, size, targets, config, prices, logger, clock);
  session.statsFile = env.FMI_STATS_FILE || undefined;
  const world = new CommunicatorImpl(
    session,
    'w',
    rank,
    size,
    Array.from({ length: size }, (_, i) => i),
  );
  if (size > 1 && options.verify !== false) await verifyAgreement(world, config, targets);
  logger.debug(`rank ${rank}/${size} of job ${job} connected`, { channels: targets.map((t) => t.name) });
  return world;
}

/** Every rank must see the same channels, models and policy settings, or their choices diverge. */
async function verifyAgreement(world: CommunicatorImpl, config: FmiConfig, targets: readonly PolicyChannel[]): Promise<void> {
  const mine = JSON.stringify({
    hint: config.hint,
    channel: config.channel,
    memoryMiB: config.memoryMiB,
    model: config.model,
    channels: targets.map((t) => [t.name, t.channel.capabilities, t.model]),
  });
  let all: string[];
  try {
    all = await world.allgatherValues(mine);
  } catch (err) {
    await world.close({ timeoutMs: 1000 }).catch(() => {});
    throw err;
  }
  const differing = all.map((f, r) => (f === mine ? -1 : r)).filter((r) => r >= 0);
  if (differing.length > 0) {
    await world.close({ timeoutMs: 1000 }).catch(() => {});
    throw new FmiError(
      'config',
      `ranks ${differing.join(', ')} resolved different channels or model settings than rank ${world.rank} — give every rank the same config and FMI_* variables`,
      { field: 'channels' },
    );
  }
}

/**
 * Several cloud modules may be loaded at once (one program for every cloud), each with its own price
 * book. The one that applies is the platform the ranks run on: `FMI_PRICE_BOOK` names it (launchers
 * set it); otherwise the first loaded module's wins, which is the same on every rank of one program.
 */
function pickPriceBook(books: readonly PriceBook[], env: Readonly<Record<string, string | undefined>>): PriceBook {
  const wanted = env.FMI_PRICE_BOOK;
  if (wanted) {
    const found = books.find((b) => b.name === wanted) ?? (wanted === DEFAULT_PRICE_BOOK.name ? DEFAULT_PRICE_BOOK : undefined);
    if (!found)
      throw new FmiError('config', `FMI_PRICE_BOOK names "${wanted}" but the loaded modules offer ${books.map((b) => `"${b.name}"`).join(', ') || 'none'}`, {
        field: 'FMI_PRICE_BOOK',
      });
    return found;
  }
  return books[0] ?? DEFAULT_PRICE_BOOK;
}

function priceBook(base: PriceBook, config: FmiConfig): PriceBook {
  return {
    name: base.name,
    functionPerGiBSecond: config.model.functionPerGiBSecond ?? base.functionPerGiBSecond,
    functionPerRequest: config.model.functionPerRequest ?? base.functionPerRequest,
  };
}

function intFrom(value: number | undefined, envValue: string | undefined, field: string, envName: string): number {
  if (value !== undefined) {
    if (!Number.isInteger(value)) throw new FmiError('config', `${field} must be an integer, got ${String(value)}`, { field });
    return value;
  }
  if (envValue === undefined || envValue === '') throw new FmiError('config', `${field} is not set: pass { ${field} } or set ${envName}`, { field });
  const n = Number(envValue);
  if (!Number.isInteger(n)) throw new FmiError('config', `${envName} must be an integer, got "${envValue}"`, { field });
  return n;
}

function stripUndefined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

import type { ChannelUse, OpName } from './api.js';
import type { ChannelModel } from './channel.js';
import type { FmiConfig, Hint } from './config/schema.js';
import { type Choice, type PolicyChannel, rank } from './model/policy.js';
import type { Clock, Logger, PriceBook } from './tokens.js';

interface MutableUse {
  calls: number;
  messages: number;
  bytesOut: number;
  bytesIn: number;
  requests: Record<string, number>;
  estimatedCost: number;
  timeMs: number;
}

/**
 * What all communicators of one `connect()` share: the opened channels, the configuration, the
 * policy's cache and the usage counters.
 */
export class Session {
  readonly uses = new Map<string, MutableUse>();
  readonly choices = new Map<string, number>();
  calls = 0;
  /** Where the world communicator writes its stats when it closes (FMI_STATS_FILE, set by `fmi run`). */
  statsFile: string | undefined;
  private readonly planCache = new Map<string, Choice[]>();

  constructor(
    readonly job: string,
    readonly worldRank: number,
    readonly worldSize: number,
    readonly channels: readonly PolicyChannel[],
    readonly config: FmiConfig,
    readonly prices: PriceBook,
    readonly logger: Logger,
    readonly clock: Clock,
  ) {
    for (const c of channels) {
      this.uses.set(c.name, { calls: 0, messages: 0, bytesOut: 0, bytesIn: 0, requests: {}, estimatedCost: 0, timeMs: 0 });
    }
  }

  /** The policy's ranking for a call, cached per distinct query. */
  plan(op: OpName, bytes: number, n: number, hint: Hint, commutative: boolean, associative: boolean, channel: string | undefined): Choice[] {
    const key = `${op}|${bytes}|${n}|${hint}|${commutative ? 1 : 0}${associative ? 1 : 0}|${channel ?? ''}`;
    let ranking = this.planCache.get(key);
    if (!ranking) {
      ranking = rank(this.channels, { op, bytes, n, hint, commutative, associative, channel }, this.prices, this.config.memoryMiB);
      if (this.planCache.size > 4096) this.planCache.clear();
      this.planCache.set(key, ranking);
    }
    return ranking;
  }

  use(channel: string): MutableUse {
    return this.uses.get(channel) as MutableUse;
  }

  channelUse(): Record<string, ChannelUse> {
    const out: Record<string, ChannelUse> = {};
    for (const c of this.channels) {
      const u = this.use(c.name);
      out[c.name] = { ...u, requests: { ...u.requests }, ...(c.channel.stats ? { channel: c.channel.stats() } : {}) };
    }
    return out;
  }
}

/** A channel's model with the config's overrides (`model.channels.<name>`) applied. */
export function effectiveModel(name: string, base: ChannelModel, config: FmiConfig): ChannelModel {
  const o = config.model.channels?.[name];
  if (!o) return base;
  return { ...base, ...o, pricePerRequest: { ...base.pricePerRequest, ...(o.pricePerRequest ?? {}) } } as ChannelModel;
}

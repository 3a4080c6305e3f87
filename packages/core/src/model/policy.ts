import type { OpName, PlanEntry } from '../api.js';
import type { Channel, ChannelModel } from '../channel.js';
import type { Hint } from '../config/schema.js';
import { FmiError } from '../errors.js';
import type { PriceBook } from '../tokens.js';
import { ALGORITHMS, type AlgorithmCost, type AlgorithmSpec } from './catalog.js';

export interface PolicyChannel {
  readonly name: string;
  readonly channel: Channel;
  /** The channel's model with config overrides applied. */
  readonly model: ChannelModel;
}

export interface PolicyQuery {
  readonly op: OpName;
  readonly bytes: number;
  readonly n: number;
  readonly hint: Hint;
  readonly commutative: boolean;
  readonly associative: boolean;
  /** Restrict to one channel (config `channel`, FMI_CHANNEL or the call's `{ channel }`). */
  readonly channel: string | undefined;
}

export interface Choice extends PlanEntry {
  readonly spec: AlgorithmSpec;
  readonly target: PolicyChannel;
  readonly detail: AlgorithmCost;
}

/**
 * Predicted wall time (ms) and price (US$) of one algorithm on one channel. Time: every step on the
 * critical path pays the channel's latency, polled waits pay the poll delay, and the rank's bytes
 * pay the bandwidth. Price: requests and transfer as billed, the channel's infrastructure for the
 * duration of the call, and every rank's function memory for the duration of the call.
 */
export function predict(
  spec: AlgorithmSpec,
  target: PolicyChannel,
  q: { n: number; bytes: number },
  prices: PriceBook,
  memoryMiB: number,
): { timeMs: number; cost: number; detail: AlgorithmCost; requests: number } {
  const m = target.model;
  const detail = spec.cost({ n: q.n, bytes: q.bytes, concurrency: m.concurrency });
  const polled = target.channel.kind === 'object' && !target.channel.capabilities.nativeWait;
  // Bandwidth: a rank's own bytes at its bandwidth, or every rank's bytes through a shared server's
  // aggregate ceiling, whichever takes longer.
  const transferMs = Math.max(detail.bytes / m.bandwidthBytesPerMs, m.aggregateBandwidthBytesPerMs ? detail.transferred / m.aggregateBandwidthBytesPerMs : 0);
  const timeMs = detail.depth * m.latencyMs + (polled ? detail.waits * m.pollDelayMs : 0) + transferMs;
  let requestPrice = 0;
  let requests = 0;
  for (const [kind, count] of Object.entries(detail.requests)) {
    if (!count) continue;
    requests += count;
    if (kind === 'message') continue;
    // A polled get costs about two requests on average (one that finds nothing, one that hits).
    const factor = polled && kind === 'get' ? 2 : 1;
    requestPrice += count * factor * (m.pricePerRequest[kind as keyof ChannelModel['pricePerRequest']] ?? 0);
  }
  const infra = (m.pricePerHour * timeMs) / 3_600_000;
  const functions = q.n * (memoryMiB / 1024) * (timeMs / 1000) * prices.functionPerGiBSecond;
  const cost = requestPrice + detail.transferred * m.pricePerByte + infra + functions;
  return { timeMs, cost, detail, requests };
}

/**
 * Ranks every (channel, algorithm) pair that can run the call, best first. It reads only values
 * every rank shares (the query, the channel models and capabilities, the price book), so all ranks
 * of a job with the same configuration pick the same pair — the guarantee that keeps collectives
 * from deadlocking. Ties break by channel then algorithm name.
 */
export function rank(channels: readonly PolicyChannel[], q: PolicyQuery, prices: PriceBook, memoryMiB: number): Choice[] {
  const out: Omit<Choice, 'rank'>[] = [];
  const pool = q.channel ? channels.filter((c) => c.name === q.channel) : channels;
  if (q.channel && pool.length === 0) {
    throw new FmiError('config', `channel "${q.channel}" is not available — loaded channels: ${channels.map((c) => c.name).join(', ') || 'none'}`, {
      field: 'channel',
    });
  }
  for (const target of pool) {
    const caps = target.channel.capabilities;
    for (const spec of ALGORITHMS) {
      if (spec.op !== q.op || spec.family !== target.channel.kind) continue;
      if (spec.needs?.commutative && !q.commutative) continue;
      if (spec.needs?.associative && !q.associative) continue;
      if (spec.needs?.atomicCounter && !caps.atomicCounter) continue;
      const p = predict(spec, target, q, prices, memoryMiB);
      if (p.detail.maxPayload > caps.maxPayloadBytes) continue;
      out.push({ channel: target.name, algorithm: spec.name, timeMs: p.timeMs, cost: p.cost, requests: p.requests, spec, target, detail: p.detail });
    }
  }
  const byName = (a: Omit<Choice, 'rank'>, b: Omit<Choice, 'rank'>) =>
    a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : a.algorithm < b.algorithm ? -1 : a.algorithm > b.algorithm ? 1 : 0;
  out.sort((a, b) => {
    const primary = q.hint === 'fast' ? a.timeMs - b.timeMs : a.cost - b.cost;
    if (primary !== 0) return primary;
    const secondary = q.hint === 'fast' ? a.cost - b.cost : a.timeMs - b.timeMs;
    return secondary !== 0 ? secondary : byName(a, b);
  });
  return out.map((c, i) => ({ ...c, rank: i }));
}

/** Default prices: AWS Lambda on x86 (US East), overridable through config `model`. */
export const DEFAULT_PRICE_BOOK: PriceBook = {
  name: 'aws-lambda-x86',
  functionPerGiBSecond: 0.0000166667,
  functionPerRequest: 0.0000002,
};

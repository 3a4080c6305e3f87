import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CommStats, PriceBook } from '@fmi/core';
import { formatBytes, formatCount, formatMs, formatUsd } from '../size.js';
import { formatTable } from '../table.js';

/** File name of rank r's stats in the stats directory; the launcher passes `rank-{rank}.json`. */
export const STATS_FILE_TEMPLATE = 'rank-{rank}.json';

/**
 * Reads the stats each rank wrote to FMI_STATS_FILE when its world communicator closed. A rank that
 * failed, was stopped, or runs a core without the hook wrote nothing: absent or unreadable files
 * are skipped, never an error.
 */
export async function readRankStats(dir: string, size: number): Promise<CommStats[]> {
  const read = async (rank: number): Promise<CommStats | undefined> => {
    try {
      const parsed = JSON.parse(await readFile(join(dir, STATS_FILE_TEMPLATE.replace('{rank}', String(rank))), 'utf8')) as CommStats;
      return typeof parsed === 'object' && parsed !== null && typeof parsed.channels === 'object' && parsed.channels !== null ? parsed : undefined;
    } catch {
      return undefined;
    }
  };
  const all = await Promise.all(Array.from({ length: size }, (_, r) => read(r)));
  return all.filter((s): s is CommStats => s !== undefined);
}

export interface ChannelTotals {
  readonly channel: string;
  /** Calls on this channel by the busiest rank (collectives count once per rank). */
  calls: number;
  /** Messages sent, all ranks. */
  messages: number;
  /** Bytes sent (written), all ranks. */
  bytesOut: number;
  /** Store requests, all ranks. */
  requests: number;
  /** Time in calls on this channel, the busiest rank. */
  timeMs: number;
  /** The model's predicted price, all ranks (each rank carries its share of every call). */
  cost: number;
}

export function totalsByChannel(stats: readonly CommStats[]): ChannelTotals[] {
  const by = new Map<string, ChannelTotals>();
  for (const s of stats) {
    for (const [channel, use] of Object.entries(s.channels)) {
      let t = by.get(channel);
      if (!t) {
        t = { channel, calls: 0, messages: 0, bytesOut: 0, requests: 0, timeMs: 0, cost: 0 };
        by.set(channel, t);
      }
      t.calls = Math.max(t.calls, num(use.calls));
      t.messages += num(use.messages);
      t.bytesOut += num(use.bytesOut);
      t.requests += Object.values(use.requests ?? {}).reduce((a, b) => a + num(b), 0);
      t.timeMs = Math.max(t.timeMs, num(use.timeMs));
      t.cost += num(use.estimatedCost);
    }
  }
  return [...by.values()].sort((a, b) => (a.channel < b.channel ? -1 : 1));
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

export interface SummaryInput {
  readonly job: string;
  readonly size: number;
  readonly wallMs: number;
  readonly status: string;
  readonly stats: readonly CommStats[];
  readonly memoryMiB: number;
  readonly prices: PriceBook;
}

/** The lines of the summary `fmi run` prints at the end. */
export function formatSummary(s: SummaryInput): string[] {
  const lines = [`fmi: job ${s.job}: ${s.size} ranks, wall time ${formatMs(s.wallMs)}, ${s.status}`];
  const functions = s.size * (s.memoryMiB / 1024) * (s.wallMs / 1000) * s.prices.functionPerGiBSecond + s.size * s.prices.functionPerRequest;
  const asFunctions = `as ${s.size} functions of ${s.memoryMiB} MiB for the wall time: ${formatUsd(functions)} (${s.prices.name} prices)`;
  if (s.stats.length === 0) {
    lines.push('fmi: no rank wrote communication stats (FMI_STATS_FILE is written when a rank closes its world communicator)');
    lines.push(`fmi: estimated cost ${asFunctions}`);
    return lines;
  }
  const totals = totalsByChannel(s.stats);
  const used = totals.filter((t) => t.calls > 0 || t.messages > 0 || t.requests > 0);
  const rows = (used.length > 0 ? used : totals).map((t) => [
    t.channel,
    formatCount(t.calls),
    formatCount(t.messages),
    formatBytes(t.bytesOut),
    formatCount(t.requests),
    formatMs(t.timeMs),
    formatUsd(t.cost),
  ]);
  lines.push(
    ...formatTable(['channel', 'calls', 'messages', 'bytes sent', 'requests', 'comm time', 'est. cost'], rows, ['l', 'r', 'r', 'r', 'r', 'r', 'r']).split('\n'),
  );
  const comm = totals.reduce((a, t) => a + t.cost, 0);
  const partial = s.stats.length < s.size ? ` (stats from ${s.stats.length} of ${s.size} ranks)` : '';
  lines.push(`fmi: estimated cost (model): communication ${formatUsd(comm)}${partial}; ${asFunctions}`);
  return lines;
}

import type { FmiConfig } from '../config/schema.js';
import type { ChannelFactoryContext } from '../tokens.js';

/** The parts of a factory context a provider's test varies: config sections, model overrides, environment. */
export interface ChannelFactoryContextInput {
  /** `channels` of the config, e.g. `{ gcs: { bucket: 'b' } }`. */
  readonly channels?: FmiConfig['channels'];
  /** `model` of the config (`{ channels: { gcs: { latencyMs: 12 } } }`). */
  readonly model?: FmiConfig['model'];
  /** The environment `create` reads instead of `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * What `connect()` gives a `ChannelProvider.create`: rank 0 of 2 in job `j`, the config defaults
 * with `channels` and `model` from `input`, and a silent logger. For testing a provider's settings
 * without connecting.
 */
export function channelFactoryContext(input: ChannelFactoryContextInput = {}): ChannelFactoryContext {
  const config: FmiConfig = {
    job: 'j',
    hint: 'cheap',
    channel: undefined,
    timeoutMs: 60_000,
    memoryMiB: 2048,
    logLevel: 'warn',
    channels: input.channels ?? {},
    model: input.model ?? {},
  };
  return { rank: 0, size: 2, job: 'j', secret: undefined, config, env: input.env ?? {}, logger: silent, clock: { now: () => Date.now() } };
}

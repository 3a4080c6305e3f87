import type { Channel, ChannelKind } from './channel.js';
import type { FmiConfig } from './config/schema.js';

/**
 * Dependency-injection tokens. `@fmi/core` owns the container; a provider (or a third-party
 * plugin) is a `ContainerModule` that binds values to these tokens. Multi tokens
 * (`ChannelProvider`, `PlatformProvider`) are bound once per plugin, unconstrained, and every
 * plugin object carries its own `name`.
 */
export const TOKENS = {
  ChannelProvider: Symbol.for('@fmi/core.ChannelProvider'),
  PlatformProvider: Symbol.for('@fmi/core.PlatformProvider'),
  PriceBook: Symbol.for('@fmi/core.PriceBook'),
  Logger: Symbol.for('@fmi/core.Logger'),
  Clock: Symbol.for('@fmi/core.Clock'),
} as const;

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** What a channel provider sees when the communicator is built. */
export interface ChannelFactoryContext {
  readonly rank: number;
  readonly size: number;
  readonly job: string;
  /** The job secret (for the rendezvous server); never log it. */
  readonly secret: string | undefined;
  /** The merged, validated configuration. `config.channels[name]` holds this channel's section. */
  readonly config: FmiConfig;
  /** Environment variables (FMI_REDIS_URL, ...); from `process.env` unless the caller gave others. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  readonly clock: Clock;
}

/**
 * A channel plugin. `create` returns `undefined` when the channel's settings are absent (the
 * channel is then simply not offered to the policy) and throws `FmiError` kind `config` when they
 * are present but wrong. It must not do I/O: `open()` on the returned channel does.
 */
export interface ChannelProvider {
  readonly name: string;
  readonly kind: ChannelKind;
  create(ctx: ChannelFactoryContext): Channel | undefined;
}

/** One rank's outcome, as a platform reports it. */
export interface RankOutcome {
  readonly rank: number;
  readonly ok: boolean;
  /** Process exit code, where there is a process. */
  readonly exitCode?: number | null;
  /** The value the rank returned, where the platform carries results (function handlers). */
  readonly result?: unknown;
  readonly error?: { readonly message: string; readonly kind?: string };
  readonly durationMs: number;
}

export interface LaunchSpec {
  readonly job: string;
  readonly size: number;
  /** What each rank runs: a script path (local), a function name (cloud). */
  readonly entry: string;
  readonly args: readonly string[];
  /** Extra environment / payload for every rank (FMI_* contract). */
  readonly env: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
  /** Called with each line a rank prints, where the platform sees output. */
  readonly onOutput?: (rank: number, stream: 'stdout' | 'stderr', line: string) => void;
  /** Called when a rank changes state (started, exited). */
  readonly onRankEvent?: (rank: number, event: 'started' | 'connected' | 'exited', outcome?: RankOutcome) => void;
}

export interface LaunchResult {
  readonly ok: boolean;
  readonly ranks: readonly RankOutcome[];
  /** The first rank that failed, when one did. */
  readonly firstFailure?: RankOutcome;
  readonly wallMs: number;
}

/** Starts N ranks of a job somewhere: local processes, Lambda, Cloud Functions, Azure Functions. */
export interface PlatformProvider {
  readonly name: string;
  launch(spec: LaunchSpec): Promise<LaunchResult>;
}

/** Prices of the compute a rank runs on, in US dollars. */
export interface PriceBook {
  readonly name: string;
  /** Price of one GiB-second of function memory. */
  readonly functionPerGiBSecond: number;
  /** Price of one function invocation. */
  readonly functionPerRequest: number;
}

/**
 * `@fmi/core`: MPI-style point-to-point and collective communication between serverless functions.
 * `connect()` builds a communicator from provider modules; every collective algorithm, the
 * performance/cost model and the policy that picks a channel per call live here.
 */
import 'reflect-metadata';

export type {
  ChannelUse,
  CommStats,
  Communicator,
  OpName,
  OpOptions,
  OutOptions,
  P2POptions,
  PlanEntry,
  PlanQuery,
} from './api.js';
export { OP_NAMES } from './api.js';
export { DTYPES, DTYPE_CTORS, type DType, type TypedArray, blockLayout, bytesOf, dtypeOf, packBlocks, unpackBlocks } from './buffers.js';
export {
  type Channel,
  type ChannelCapabilities,
  type ChannelKind,
  type ChannelModel,
  type ChannelOpenContext,
  type ChannelStats,
  type MessageChannel,
  type ObjectChannel,
  type ObjectRequest,
  type WaitOptions,
  channelModel,
} from './channel.js';
export { resolveConfig } from './config/load.js';
export { CONFIG_DEFAULTS, type FmiConfig, type FmiConfigInput, type Hint, configSchema } from './config/schema.js';
export { connect, type ConnectOptions } from './connect.js';
export { FmiError, type FmiErrorKind, type FmiErrorOptions, asChannelError, invalidArgument } from './errors.js';
export { consoleLogger, type LogLevel, systemClock } from './logger.js';
export { ALGORITHMS, type AlgorithmCost, type AlgorithmSpec } from './model/catalog.js';
export { DEFAULT_PRICE_BOOK, predict, rank as rankChoices, type PolicyChannel, type PolicyQuery } from './model/policy.js';
export { fmiModule, type FmiModuleParts } from './module.js';
export { BUILTIN_OPS, type BuiltinOp, type CustomOp, type ReduceOp, resolveOp } from './ops/reduce-op.js';
export {
  type ChannelFactoryContext,
  type ChannelProvider,
  type Clock,
  type LaunchResult,
  type LaunchSpec,
  type Logger,
  type PlatformProvider,
  type PriceBook,
  type RankOutcome,
  TOKENS,
} from './tokens.js';
export { Deadline, sleep, withDeadline } from './util/deadline.js';
export { type BackoffOptions, pollUntil } from './util/poll.js';

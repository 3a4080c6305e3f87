/**
 * `@fmi/core`: MPI-style point-to-point and collective communication between serverless functions.
 * `connect()` builds a communicator from provider modules; every collective algorithm, the
 * performance/cost model and the policy that picks a channel per call live here.
 */
import 'reflect-metadata';

export type { ContainerModule } from 'inversify';

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
export { blockLayout, bytesOf, DTYPE_CTORS, DTYPES, type DType, dtypeOf, packBlocks, type TypedArray, unpackBlocks } from './buffers.js';
export {
  type Channel,
  type ChannelCapabilities,
  type ChannelKind,
  type ChannelModel,
  type ChannelOpenContext,
  type ChannelStats,
  channelModel,
  type MessageChannel,
  type ObjectChannel,
  type ObjectRequest,
  type WaitOptions,
} from './channel.js';
export { describeOptionValue, envSetting, type OptionChecks, optionChecks, type SettingSources } from './config/check-options.js';
export { CONFIG_ENV_VARS } from './config/env.js';
export { isFmiOriginalConfig } from './config/fmi-original.js';
export { buildConfigJsonSchema } from './config/json-schema.js';
export { mergeConfig, parseConfigObject, type ResolveConfigInput, readConfigFile, resolveConfig, resolveConfigSync } from './config/load.js';
export { CONFIG_DEFAULTS, configSchema, type FmiConfig, type FmiConfigInput, type Hint } from './config/schema.js';
export { type ConnectOptions, connect } from './connect.js';
export { asChannelError, FmiError, type FmiErrorKind, type FmiErrorOptions, invalidArgument } from './errors.js';
export { consoleLogger, type LogLevel, systemClock } from './logger.js';
export { ALGORITHMS, type AlgorithmCost, type AlgorithmSpec } from './model/catalog.js';
export { DEFAULT_PRICE_BOOK, type PolicyChannel, type PolicyQuery, predict, rank as rankChoices } from './model/policy.js';
export { type FmiModuleParts, fmiModule } from './module.js';
export { BUILTIN_OPS, type BuiltinOp, type CustomOp, type ReduceOp, resolveOp } from './ops/reduce-op.js';
export {
  checkHttpFunctionsOptions,
  type HttpFunctionsPlatformOptions,
  type HttpFunctionsPlatformSpec,
  httpFunctionsPlatform,
} from './platform/http-functions-platform.js';
export { type HttpLaunchSettings, type InvocationHeaders, launchOverHttp } from './platform/http-launcher.js';
export { errorOutcome, type FmiInvocation, type FmiInvocationResult, parseInvocation } from './platform/invocation.js';
export { answerInvocation, type InvocationAnswer, type InvocationRequest, type RankConnectOptions } from './platform/invocation-answer.js';
export { effectiveModel } from './session.js';
export { PolledStoreChannel, type PolledStoreChannelOptions } from './store/polled-store-channel.js';
export { sdkErrorText, TRANSIENT_HTTP_STATUS, TRANSIENT_SOCKET_CODES } from './store/sdk-error-reading.js';
export type { StoreDescription } from './store/store-description.js';
export type { StoreDriver, StoreErrorKind, StoreListPage, StoreRequestOptions } from './store/store-driver.js';
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
export { Deadline, raceSignal, sleep, withDeadline } from './util/deadline.js';
export { importPeerSdk, type PeerSdk, sharedClient } from './util/peer-sdk.js';
export { type BackoffOptions, pollUntil } from './util/poll.js';

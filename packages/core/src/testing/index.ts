/**
 * `@fmi/core/testing`: in-memory channels where ranks are tasks in one process, for tests and
 * examples (not for production: nothing leaves the process); fixtures for a provider's own tests;
 * and the object-channel bench every store provider's bench program runs.
 */

export { type ChannelFactoryContextInput, channelFactoryContext } from './channel-factory-context.js';
export { configErrorOf } from './config-error-of.js';
export { createMemoryHub, MemoryHub } from './memory-hub.js';
export { MemoryMessageChannel, type MemoryMessageOptions, memoryMessageChannel } from './memory-message-channel.js';
export { MemoryObjectChannel, type MemoryObjectOptions, memoryObjectChannel } from './memory-object-channel.js';
export { type ObjectBenchTarget, runObjectBenchProgram } from './object-bench-program.js';
export { BENCH_SIZES, benchObjectChannel, formatBenchRow, type ObjectBenchOptions, type ObjectBenchRow } from './object-channel-bench.js';
export { type RunWorldOptions, runWorld } from './run-world.js';

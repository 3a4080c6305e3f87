/**
 * `@fmi/core/testing`: in-memory channels where ranks are tasks in one process, for tests and
 * examples. Not for production: nothing leaves the process.
 */
export { createMemoryHub, MemoryHub } from './memory-hub.js';
export { MemoryMessageChannel, type MemoryMessageOptions, memoryMessageChannel } from './memory-message-channel.js';
export { MemoryObjectChannel, type MemoryObjectOptions, memoryObjectChannel } from './memory-object-channel.js';
export { type RunWorldOptions, runWorld } from './run-world.js';

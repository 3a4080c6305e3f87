/**
 * `@fmi/core/testing`: in-memory channels where ranks are tasks in one process, for tests and
 * examples. Not for production: nothing leaves the process.
 */
export { MemoryHub, createMemoryHub } from './memory-hub.js';
export { MemoryMessageChannel, memoryMessageChannel, type MemoryMessageOptions } from './memory-message-channel.js';
export { MemoryObjectChannel, memoryObjectChannel, type MemoryObjectOptions } from './memory-object-channel.js';
export { runWorld, type RunWorldOptions } from './run-world.js';

/**
 * `@fmi/cli`: the `fmi` command. The package's entry exposes `main(argv)` for embedding and the
 * small parsers the commands share; the executable is `dist/bin.js`.
 */
export { EXIT, errorLine, UsageError } from './cli-error.js';
export { type CommandIo, processIo } from './commands/io.js';
export { main } from './main.js';
export { formatBytes, parseSize } from './size.js';

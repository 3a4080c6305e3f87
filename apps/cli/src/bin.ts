#!/usr/bin/env node
import { main } from './main.js';

// The exit code is set, not forced with process.exit(): output still in the pipes is flushed first.
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`fmi: error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);

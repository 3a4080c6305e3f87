import { runColumns } from './run-columns.js';

// Narrow columns: in-memory channels with a 4 KiB payload limit, so core must split messages and objects.
await runColumns('memory-small-payloads');

import { runColumns } from './run-columns.js';

// The in-memory object store with an atomic counter and native waits.
await runColumns('memory-obj');

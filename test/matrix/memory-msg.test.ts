import { runColumns } from './run-columns.js';

// The in-memory message channel (ranks are tasks of this process).
await runColumns('memory-msg');

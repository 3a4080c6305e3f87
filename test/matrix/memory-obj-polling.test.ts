import { runColumns } from './run-columns.js';

// The in-memory object store without counter or native waits: polling gets, the marker barrier, prefix listing.
await runColumns('memory-obj-polling');

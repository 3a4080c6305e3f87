/** Kept for the `@fmi/tools/aws-server-process` export: the launcher for every local test server is in server-process.ts. */
export { PortInUseError, type ServerProcess, type SpawnServerOptions, spawnServer } from './server-process.js';

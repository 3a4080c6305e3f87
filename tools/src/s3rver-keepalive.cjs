'use strict';
// Runs s3rver's command line in this process, but logs an uncaught error instead of dying on it.
// s3rver 3.7 has been seen to vanish mid-run (every later request: ECONNREFUSED), which turned one
// bad request into hundreds of failed tests; a test server should report such an error and go on.
// Usage: node s3rver-keepalive.cjs <path of s3rver/bin/s3rver.js> [s3rver flags...]
const report = (what) => (error) => {
  process.stderr.write(`[s3rver] ${what} (kept running): ${(error && error.stack) || error}\n`);
};
process.on('uncaughtException', report('uncaught exception'));
process.on('unhandledRejection', report('unhandled rejection'));
const script = process.argv[2];
process.argv.splice(2, 1); // s3rver's CLI reads its own flags from process.argv
require(script);

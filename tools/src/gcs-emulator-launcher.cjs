'use strict';
/**
 * Runs the Cloud Storage emulator of firebase-tools (pinned at 15.37.0) in this process, without
 * Java and without the `firebase emulators:start` CLI. This is the ONLY file that touches
 * firebase-tools internals; `gcs-emulator.ts` spawns it. Why each step is needed:
 *
 * - `firebase emulators:start` insists on Java 21 (Debian 12 has 17) and, in older releases,
 *   downloads a rules jar: neither works offline. The GCS JSON API routes (what
 *   @google-cloud/storage uses) never evaluate Firebase security rules, so the rules runtime and
 *   manager are replaced with no-ops.
 * - The emulator must be started through `EmulatorRegistry.start()`: its request handlers look
 *   themselves up in the registry, and started any other way every call answers 500.
 * - It keeps blobs under `$TMPDIR/firebase/storage`; the parent gives each instance its own TMPDIR.
 *
 * Protocol with the parent: argv = [port, projectId]. Prints `READY <port>` on stdout once it
 * listens, or `ERROR <code> <message>` and exits non-zero. Stops (deleting its blobs) on SIGTERM,
 * SIGINT, or when stdin closes — the parent keeps stdin open, so a parent that dies without
 * cleaning up still takes the emulator with it.
 */
const path = require('node:path');

const port = Number(process.argv[2]);
const projectId = process.argv[3] || 'fmi-emulator';

function fail(code, error) {
  const message = error instanceof Error ? error.message : String(error);
  process.stdout.write(`ERROR ${code} ${message.replace(/\s+/g, ' ')}\n`, () => process.exit(code === 'EADDRINUSE' ? 3 : 1));
}

async function main() {
  if (!Number.isInteger(port) || port <= 0 || port > 65535) return fail('EINVAL', `bad port ${process.argv[2]}`);
  let root;
  try {
    root = path.dirname(require.resolve('firebase-tools/package.json'));
  } catch (_error) {
    return fail('ENOENT', 'firebase-tools is not installed (it is a devDependency of @fmi/gcp: run npm install)');
  }
  const { StorageEmulator } = require(path.join(root, 'lib/emulator/storage'));
  const { EmulatorRegistry } = require(path.join(root, 'lib/emulator/registry'));
  const { Emulators } = require(path.join(root, 'lib/emulator/types'));

  const emulator = new StorageEmulator({
    projectId,
    host: '127.0.0.1',
    port,
    rules: { name: '/dev/null', content: '' },
    auto_download: false,
  });
  for (const part of [emulator._rulesRuntime, emulator._rulesManager]) {
    part.start = async () => {};
    part.stop = async () => {};
  }

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    try {
      await EmulatorRegistry.stop(Emulators.STORAGE);
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();

  // A port taken between the parent's freePort() and our listen() surfaces as an 'error' event on
  // the express server, which the emulator does not handle: catch it here and tell the parent.
  process.on('uncaughtException', (error) => fail(error && error.code === 'EADDRINUSE' ? 'EADDRINUSE' : 'EUNCAUGHT', error));
  await EmulatorRegistry.start(emulator);
  process.stdout.write(`READY ${port}\n`);
}

main().catch((error) => fail(error && error.code === 'EADDRINUSE' ? 'EADDRINUSE' : 'ESTART', error));

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';

/** The real `@google-cloud/functions-framework` server, serving one function from a built fixture. */
export interface FunctionsFrameworkHandle {
  /** `http://127.0.0.1:<port>/` — the framework serves the function at every path. */
  readonly url: string;
  readonly port: number;
  readonly pid: number | undefined;
  /** What the server printed (its logs and the function's console output). */
  output(): string;
  /** Stops the server and removes the built fixture. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartFunctionsFrameworkOptions {
  /** A TypeScript (or JS) module that registers the function with `functions.http(target, ...)`. */
  readonly entry: string;
  /** The function name given to `functions.http` (the framework's `--target`). */
  readonly target: string;
  /** Environment of the server process (the function's runtime configuration). */
  readonly env?: Readonly<Record<string, string>>;
  readonly startTimeoutMs?: number;
}

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Bundles `entry` with rolldown — workspace `@fmi/*` packages from their TypeScript sources (the
 * `@fmi/source` condition, so the server never runs a stale `dist/`), everything else left as an
 * import — into a temp source directory under the repo's `.tmp/` (so those imports resolve from the
 * repo's node_modules), then starts the framework's own CLI on it the way Cloud Functions does:
 * `functions-framework --target=<name> --source=<dir> --port=<port> --signature-type=http`.
 * Resolves when the server says it is serving.
 */
export async function startFunctionsFramework(options: StartFunctionsFrameworkOptions): Promise<FunctionsFrameworkHandle> {
  const require = createRequire(import.meta.url);
  // The CLI (`bin: functions-framework`) sits next to the package's main entry; its package.json is not exported.
  const frameworkMain = join(dirname(require.resolve('@google-cloud/functions-framework')), 'main.js');
  await mkdir(join(REPO_ROOT, '.tmp'), { recursive: true });
  const source = await mkdtemp(join(REPO_ROOT, '.tmp', 'fmi-gcf-'));
  try {
    await bundle(options.entry, join(source, 'index.mjs'));
    await writeFile(join(source, 'package.json'), JSON.stringify({ name: 'fmi-gcf-fixture', private: true, type: 'module', main: 'index.mjs' }));
  } catch (error) {
    await rm(source, { recursive: true, force: true });
    throw error;
  }

  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [frameworkMain, `--target=${options.target}`, `--source=${source}`, `--port=${port}`, '--signature-type=http'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '', NODE_ENV: 'development', ...options.env } },
  );
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let output = '';
  const onData = (chunk: Buffer) => {
    output += chunk.toString('utf8');
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);

  const timeoutMs = options.startTimeoutMs ?? 30_000;
  try {
    await new Promise<void>((resolveStart, reject) => {
      const timer = setTimeout(() => finish(new Error(`[fmi] functions-framework did not start within ${timeoutMs} ms; output:\n${output}`)), timeoutMs);
      const onChunk = () => {
        if (output.includes('Serving function')) finish();
      };
      const onExit = (code: number | null) => finish(new Error(`[fmi] functions-framework exited during start (code ${code}); output:\n${output}`));
      function finish(error?: Error) {
        clearTimeout(timer);
        child.stdout?.off('data', onChunk);
        child.off('exit', onExit);
        if (error) reject(error);
        else resolveStart();
      }
      child.stdout?.on('data', onChunk);
      child.once('exit', onExit);
      onChunk();
    });
  } catch (error) {
    process.off('exit', killOnExit);
    await killAndWait(child);
    await rm(source, { recursive: true, force: true });
    throw error;
  }

  let stopping: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    pid: child.pid,
    output: () => output,
    stop() {
      stopping ??= (async () => {
        process.off('exit', killOnExit);
        await killAndWait(child, 'SIGTERM');
        await rm(source, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

async function bundle(entry: string, outFile: string): Promise<void> {
  const { rolldown } = await import('rolldown');
  const build = await rolldown({
    input: entry,
    platform: 'node',
    // Bundle relative files and the workspace's own packages; leave npm packages (the SDKs, the
    // framework itself) as imports, so the fixture registers with the same framework instance the
    // CLI runs.
    external: (id: string) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('@fmi/') && !/^[A-Za-z]:[\\/]/.test(id),
    resolve: { conditionNames: ['@fmi/source', 'import', 'node', 'default'] },
    logLevel: 'warn',
  });
  try {
    await build.write({ file: outFile, format: 'esm' });
  } finally {
    await build.close();
  }
}

async function killAndWait(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((done) => child.once('exit', done));
  child.kill(signal);
  const escalate = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(escalate);
}

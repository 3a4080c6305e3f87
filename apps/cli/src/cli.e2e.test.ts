import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '@fmi/core';
import { selfHosted } from '@fmi/self-hosted';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

declare module 'vitest' {
  interface ProvidedContext {
    /** `redis://127.0.0.1:<port>` of the test run's redis-server (tools/src/vitest-global-setup.ts). */
    redisUrl: string;
  }
}

// The `fmi` executable as users run it: `node apps/cli/dist/bin.js` (built before the tests run).
const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(root, 'apps/cli/dist/bin.js');
const fixture = (name: string) => join(root, 'apps/cli/test-fixtures', name);

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Env for `fmi` without FMI_* variables of the shell the tests run in. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('FMI_')) env[k] = v;
  return { ...env, ...extra };
}

function start(args: readonly string[], env: NodeJS.ProcessEnv = cleanEnv()): { child: ChildProcess; done: Promise<Run>; stdout: () => string } {
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const done = new Promise<Run>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done, stdout: () => stdout };
}

const fmi = (args: readonly string[], env?: NodeJS.ProcessEnv) => start(args, env).done;

/** Resolves with the first match of `re` in the child's stdout, as soon as it is printed. */
function waitForStdout(child: ChildProcess, re: RegExp, count = 1): Promise<RegExpExecArray[]> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (d: Buffer) => {
      text += d.toString();
      const all = [...text.matchAll(new RegExp(re.source, 'gm'))];
      if (all.length >= count) {
        child.stdout?.off('data', onData);
        resolve(all as RegExpExecArray[]);
      }
    };
    child.stdout?.on('data', onData);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.once('close', () => reject(new Error(`exited before printing ${count} × ${re}: ${text}${stderr}`)));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Waits (bounded) until none of the PIDs exists; returns the ones still alive at the deadline. */
async function gone(pids: readonly number[], withinMs: number): Promise<number[]> {
  const until = Date.now() + withinMs;
  for (;;) {
    const left = pids.filter(alive);
    if (left.length === 0 || Date.now() > until) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Lines of stderr that are errors (`fmi: error: ...`). */
const errorLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('fmi: error:'));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fmi-cli-e2e-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('fmi run', () => {
  it('runs an allreduce on 4 ranks over the direct channel and prints the summary', async () => {
    const r = await fmi(['run', '-n', '4', '--channel', 'direct', fixture('allreduce.mjs')]);
    expect(r.stderr).not.toContain('fmi: error');
    expect(r.code).toBe(0);
    for (let rank = 0; rank < 4; rank++) expect(r.stdout).toContain(`[${rank}] rank ${rank}/4 allreduce ok via direct`);
    expect(r.stderr).toMatch(/fmi: 4\/4 started, 4\/4 connected/);
    expect(r.stderr).toMatch(/fmi: job \S+: 4 ranks, wall time .+, ok/);
    // The summary table, from the stats the ranks wrote to FMI_STATS_FILE.
    const row = r.stderr.split('\n').find((l) => l.startsWith('direct '));
    expect(row).toBeDefined();
    const [, calls, messages] = (row as string).split(/\s+/);
    expect(Number(calls)).toBeGreaterThanOrEqual(1);
    expect(Number(messages.replaceAll(',', ''))).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/estimated cost \(model\): communication \$/);
  });

  it('exits non-zero within seconds when rank 2 throws, and names rank 2', async () => {
    const t0 = Date.now();
    const r = await fmi(['run', '-n', '4', '--channel', 'direct', fixture('throw-on-rank2.mjs')]);
    // A liveness bound, not a speed figure: without the platform stopping the job the other ranks
    // would wait in their allreduce until the 60 s operation timeout.
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(r.code).toBe(1);
    expect(errorLines(r.stderr)).toEqual([
      expect.stringMatching(/^fmi: error: rank 2 failed \(exited with code 1\): Error: rank 2 gives up on purpose; 3 other ranks were stopped$/),
    ]);
    expect(r.stdout).not.toContain('unreachable');
  });

  it('reports a bad flag in one line naming it', async () => {
    const r = await fmi(['run', '-n', '2', '--bogus', fixture('allreduce.mjs')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual(['fmi: error: --bogus: unknown flag — see `fmi run --help`']);
    const n = await fmi(['run', '-n', 'many', fixture('allreduce.mjs')]);
    expect(n.code).toBe(2);
    expect(n.stderr.trim().split('\n')).toEqual(['fmi: error: --ranks: must be an integer 1..4096, got "many"']);
    const hint = await fmi(['run', '-n', '2', '--hint', 'fastest', fixture('allreduce.mjs')]);
    expect(hint.stderr.trim().split('\n')).toEqual(['fmi: error: --hint: must be one of fast, cheap, got "fastest"']);
    const script = await fmi(['run', '-n', '2']);
    expect(script.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^fmi: error: <script>: missing/)]);
  });

  it('reports a bad config field in one line naming its path, before any rank starts', async () => {
    const top = join(dir, 'bad-top.json');
    await writeFile(top, JSON.stringify({ timeoutMs: -5 }));
    const r = await fmi(['run', '-n', '2', '--config', top, fixture('wait-forever.mjs')]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^fmi: error: config: timeoutMs must be a positive integer \(got -5 in .*bad-top\.json\)$/),
    ]);

    const nested = join(dir, 'bad-channel.json');
    await writeFile(nested, JSON.stringify({ channels: { direct: { paths: ['warp'] } } }));
    const c = await fmi(['run', '-n', '2', '--config', nested, fixture('wait-forever.mjs')]);
    expect(c.code).toBe(2);
    expect(c.stdout).toBe('');
    expect(c.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^fmi: error: .*channels\.direct\.paths: unknown path "warp"/)]);
  });

  it('prints the stack of an error only with --verbose', async () => {
    const top = join(dir, 'bad-hint.json');
    await writeFile(top, JSON.stringify({ hint: 'fastest' }));
    const quiet = await fmi(['run', '-n', '2', '--config', top, fixture('allreduce.mjs')]);
    expect(quiet.stderr.trim().split('\n')).toHaveLength(1);
    const verbose = await fmi(['run', '--verbose', '-n', '2', '--config', top, fixture('allreduce.mjs')]);
    expect(verbose.stderr).toMatch(/^fmi: error: config: hint must be "fast" or "cheap"/);
    expect(verbose.stderr).toMatch(/\n\s+at /);
  });

  it('stops every rank on Ctrl-C (SIGINT) and leaves no process behind', async () => {
    const run = start(['run', '-n', '3', fixture('wait-forever.mjs')]);
    const ready = await waitForStdout(run.child, /^\[\d\] ready (\d+)$/, 3);
    const pids = ready.map((m) => Number(m[1]));
    for (const pid of pids) expect(alive(pid)).toBe(true);
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('fmi: SIGINT: stopping every rank');
    expect(r.stderr).toMatch(/interrupted \(SIGINT\)/);
    // The launcher waits for every exit before it returns: nothing is left when it is gone.
    expect(pids.filter(alive)).toEqual([]);
  });

  it('leaves no orphan when the launcher itself is killed with SIGKILL', async () => {
    const run = start(['run', '-n', '2', fixture('wait-forever.mjs')]);
    const pids = (await waitForStdout(run.child, /^\[\d\] ready (\d+)$/, 2)).map((m) => Number(m[1]));
    run.child.kill('SIGKILL');
    await run.done;
    // No cleanup code ran in the launcher; each rank notices its IPC channel close and ends itself.
    expect(await gone(pids, 10_000)).toEqual([]);
  });

  it('stops the job at --timeout with exit code 124', async () => {
    const r = await fmi(['run', '-n', '2', '--timeout', '500', fixture('wait-forever.mjs')]);
    expect(r.code).toBe(124);
    expect(errorLines(r.stderr)).toEqual(['fmi: error: --timeout: the job did not finish within 500 ms; every rank was stopped']);
  });

  it('refuses a TypeScript script with the fix, when tsx is not installed', async () => {
    const ts = join(dir, 'app.ts');
    await writeFile(ts, 'export const x: number = 1;\n');
    const r = await fmi(['run', '-n', '2', ts]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^fmi: error: script ".*app\.ts" is TypeScript, .* build it to JavaScript/)]);
  });

  it('runs over Redis and rejects a channel whose settings are missing', async () => {
    const url = inject('redisUrl');
    const r = await fmi(['run', '-n', '3', '--channel', 'redis', fixture('allreduce.mjs')], cleanEnv({ FMI_REDIS_URL: url }));
    expect(r.stderr).not.toContain('fmi: error');
    expect(r.code).toBe(0);
    expect(r.stdout.match(/allreduce ok via redis/g)).toHaveLength(3);
    expect(r.stderr.split('\n').some((l) => l.startsWith('redis '))).toBe(true);

    const missing = await fmi(['run', '-n', '2', '--channel', 'redis', fixture('allreduce.mjs')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^fmi: error: --channel: channel "redis" is not available \(available: direct\)/),
    ]);
  });
});

describe('fmi plan', () => {
  it('prints a ranking whose chosen row is what comm.plan() chooses inside a job', async () => {
    const env = cleanEnv({ FMI_REDIS_URL: inject('redisUrl') });
    for (const [op, bytes, hint] of [
      ['allreduce', 1024 * 1024, 'cheap'],
      ['allreduce', 8, 'fast'],
      ['bcast', 64 * 1024, 'fast'],
    ] as const) {
      const job = await fmi(['run', '-q', '-n', '4', fixture('plan.mjs'), op, String(bytes), hint], env);
      expect(job.code).toBe(0);
      const inside = JSON.parse(/\[0\] PLAN (.*)/.exec(job.stdout)?.[1] ?? 'null') as Array<{
        channel: string;
        algorithm: string;
        timeMs: number;
        cost: number;
      }>;
      expect(inside.length).toBeGreaterThan(1);

      const table = await fmi(['plan', '--ranks', '4', '--bytes', String(bytes), '--op', op, '--hint', hint, '--channels', 'direct,redis'], env);
      expect(table.code).toBe(0);
      const lines = table.stdout.split('\n');
      const header = lines.findIndex((l) => /^#\s+channel\s+algorithm\s+time\s+cost\s+requests$/.test(l.trim()));
      expect(header).toBeGreaterThanOrEqual(0);
      const rows = lines.slice(header + 2).filter((l) => /^\s*\d+\s/.test(l));
      expect(rows).toHaveLength(inside.length);
      const [n, channel, algorithm] = rows[0].trim().split(/\s+/);
      expect([n, channel, algorithm]).toEqual(['0', inside[0].channel, inside[0].algorithm]);
      expect(table.stdout).toContain(`chosen: ${inside[0].channel}/${inside[0].algorithm}`);

      // The JSON form carries the same numbers the communicator predicts, in the same order.
      const json = await fmi(['plan', '-n', '4', '-b', String(bytes), '--op', op, '--hint', hint, '--channels', 'direct,redis', '--json'], env);
      const outside = JSON.parse(json.stdout) as typeof inside;
      expect(outside.map((e) => [e.channel, e.algorithm])).toEqual(inside.map((e) => [e.channel, e.algorithm]));
      for (let i = 0; i < inside.length; i++) {
        expect(outside[i].timeMs).toBeCloseTo(inside[i].timeMs, 9);
        expect(outside[i].cost).toBeCloseTo(inside[i].cost, 15);
      }
    }
  });

  it('plans without any server, accepts sizes with units and names bad flags', async () => {
    const r = await fmi(['plan', '-n', '64', '--bytes', '16MB']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('allreduce of 15.3 MiB per rank on 64 ranks');
    // Every loaded provider's channels are listed (direct and redis always; cloud ones when installed).
    expect(r.stdout).toMatch(/settings absent for (?=[^\n]*\bdirect\b)(?=[^\n]*\bredis\b)[^\n]*: planned with the default model/);
    const sizes = await fmi(['plan', '-n', '2', '--bytes', '64KiB', '--op', 'bcast', '--json']);
    expect(JSON.parse(sizes.stdout).length).toBeGreaterThan(0);
    const bad = await fmi(['plan', '-n', '2', '--bytes', '12 parsecs']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^fmi: error: --bytes: "12 parsecs" is not a size/)]);
    const op = await fmi(['plan', '-n', '2', '--bytes', '8', '--op', 'allsum']);
    expect(op.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^fmi: error: --op: must be one of send, bcast, /)]);
    const missing = await fmi(['plan', '--bytes', '8']);
    expect(missing.stderr.trim().split('\n')).toEqual(['fmi: error: --ranks: is required — the world size to plan for']);
  });
});

describe('fmi gc', () => {
  it('deletes what a crashed job left in Redis', async () => {
    const env = cleanEnv({ FMI_REDIS_URL: inject('redisUrl') });
    const job = `gc-e2e-${process.pid}-${Date.now()}`;
    const crashed = await fmi(['run', '-q', '-n', '2', '--channel', 'redis', '--job', job, fixture('leave-objects.mjs')], env);
    expect(crashed.code).toBe(0);
    const first = await fmi(['gc', '--job', job, '--channel', 'redis'], env);
    expect(first.code).toBe(0);
    const deleted = Number(/^redis\s+(\d+)$/m.exec(first.stdout)?.[1]);
    expect(deleted).toBeGreaterThanOrEqual(3);
    const second = await fmi(['gc', '--job', job], env);
    expect(second.stdout).toMatch(/^redis\s+0$/m);
  });

  it('names what is missing', async () => {
    const r = await fmi(['gc']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual(['fmi: error: --job: is required: the id of the job whose objects to delete']);
    const none = await fmi(['gc', '--job', 'x', '--channel', 'redis']);
    expect(none.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^fmi: error: --channel: channel "redis" has no settings/)]);
  });
});

describe('fmi rendezvous', () => {
  it('serves a job whose ranks hold the secret it derives, and stops on SIGINT', async () => {
    const keyFile = join(dir, 'server.key');
    const server = start(['rendezvous', '--host', '127.0.0.1', '--port', '0', '--secret-file', keyFile]);
    const [m] = await waitForStdout(server.child, /^fmi rendezvous listening on (tcp:\/\/127\.0\.0\.1:\d+)$/);
    const rendezvous = m[1];
    const job = 'external-job';
    const secret = (await fmi(['rendezvous', '--secret-for', job, '--secret-file', keyFile])).stdout.trim();
    expect(secret).toMatch(/^[0-9a-f]{64}$/);

    const ranks = await Promise.all(
      [0, 1].map((rank) => connect({ rank, size: 2, job, secret, modules: [selfHosted({ rendezvous })], env: {}, timeoutMs: 20_000 })),
    );
    const sums = await Promise.all(ranks.map((c) => c.allreduce(new Float64Array([c.rank + 1]), 'sum')));
    expect(sums.map((s) => s[0])).toEqual([3, 3]);
    await Promise.all(ranks.map((c) => c.close()));

    server.child.kill('SIGINT');
    const r = await server.done;
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('new server key written to');
  });
});

describe('fmi bench kernels', () => {
  it('prints a row per kernel with the hand-written baseline and the ratio', async () => {
    const r = await fmi(['bench', 'kernels', '--elements', '4096', '--ms', '20', '--rounds', '2']);
    expect(r.code).toBe(0);
    for (const name of ['float32 sum', 'float32 custom (absmax fn)', 'float64 sum', 'int32 bxor']) {
      expect(r.stdout).toMatch(new RegExp(`^${name.replace(/[()]/g, '\\$&')}\\s+\\d+ M/s\\s+\\d+ M/s\\s+\\d+\\.\\d\\d×$`, 'm'));
    }
  });
});

describe('fmi --help', () => {
  it('every command has help, and an unknown command is one error line', async () => {
    for (const args of [['--help'], ['run', '--help'], ['plan', '--help'], ['rendezvous', '--help'], ['gc', '--help'], ['bench', '--help']]) {
      const r = await fmi(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^usage: fmi/);
    }
    const r = await fmi(['launch']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual(['fmi: error: launch: unknown command (commands: run, plan, rendezvous, gc, bench) — see `fmi --help`']);
  });
});

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FmiError, type RankOutcome } from '@fmi/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveJobSecret } from '../rendezvous/job-secret.js';
import { type LocalLaunchSpec, localPlatform } from './local-platform.js';

// Real child processes: every test starts node ranks with scripts written to a temp directory.

let dir: string;
const script = async (name: string, source: string) => {
  const file = join(dir, name);
  await writeFile(file, source);
  return file;
};

/** True while a process with this PID exists (signal 0 only checks). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface Captured {
  lines: Array<{ rank: number; stream: string; line: string }>;
  spec: LocalLaunchSpec;
}

function capture(spec: Omit<LocalLaunchSpec, 'onOutput'>, onLine?: (rank: number, line: string) => void): Captured {
  const lines: Captured['lines'] = [];
  return {
    lines,
    spec: {
      ...spec,
      onOutput: (rank, stream, line) => {
        lines.push({ rank, stream, line });
        onLine?.(rank, line);
      },
    },
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fmi-local-platform-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('localPlatform', () => {
  it('is named local', () => {
    expect(localPlatform().name).toBe('local');
  });

  it('passes the environment contract to every rank, with a job secret of its embedded server', async () => {
    const file = await script(
      'env.mjs',
      `const e = process.env;
       console.log(JSON.stringify({ rank: e.FMI_RANK, size: e.FMI_SIZE, job: e.FMI_JOB, secret: e.FMI_SECRET, rendezvous: e.FMI_RENDEZVOUS, own: e.OWN, stats: e.FMI_STATS_FILE }));`,
    );
    const started: number[] = [];
    const { lines, spec } = capture({
      job: 'env-job',
      size: 3,
      entry: file,
      args: [],
      env: { OWN: 'mine', FMI_STATS_FILE: '/tmp/x/rank-{rank}.json', FMI_RANK: 'ignored' },
      onRankEvent: (rank, event) => {
        if (event === 'started') started.push(rank);
      },
    });
    const result = await localPlatform().launch(spec);
    expect(result.ok).toBe(true);
    expect(result.ranks.map((r) => r.exitCode)).toEqual([0, 0, 0]);
    expect(started.sort()).toEqual([0, 1, 2]);
    const seen = lines.map((l) => ({ from: l.rank, ...JSON.parse(l.line) })).sort((a, b) => a.from - b.from);
    expect(seen.map((s) => [s.from, s.rank, s.size, s.job, s.own, s.stats])).toEqual([
      [0, '0', '3', 'env-job', 'mine', '/tmp/x/rank-0.json'],
      [1, '1', '3', 'env-job', 'mine', '/tmp/x/rank-1.json'],
      [2, '2', '3', 'env-job', 'mine', '/tmp/x/rank-2.json'],
    ]);
    // One server and one secret per job; the secret is the job's, derived from a key only the launcher holds.
    expect(new Set(seen.map((s) => s.rendezvous)).size).toBe(1);
    expect(seen[0].rendezvous).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    expect(new Set(seen.map((s) => s.secret)).size).toBe(1);
    expect(seen[0].secret).toMatch(/^[0-9a-f]{64}$/);
    // A fresh key per launch: the same job id launched again gets another secret.
    const again = capture({ job: 'env-job', size: 1, entry: file, args: [], env: {} });
    await localPlatform().launch(again.spec);
    expect(JSON.parse(again.lines[0].line).secret).not.toBe(seen[0].secret);
  });

  it('stops the job at the first failing rank and names it, its exit code and its error', async () => {
    const pids = join(dir, 'fail-pids');
    const file = await script(
      'fail.mjs',
      // Rank 1 fails once every rank has recorded its PID, so the test can check all of them.
      `import { appendFileSync, readFileSync } from 'node:fs';
       appendFileSync(${JSON.stringify(pids)}, process.pid + '\\n');
       const all = () => readFileSync(${JSON.stringify(pids)}, 'utf8').trim().split('\\n').length === 4;
       const timer = setInterval(() => {
         if (process.env.FMI_RANK !== '1' || !all()) return;
         clearInterval(timer);
         const e = new Error('peer 3 vanished');
         e.name = 'FmiError';
         e.kind = 'peer-lost';
         throw e;
       }, 20);`,
    );
    const exited: RankOutcome[] = [];
    const t0 = Date.now();
    const { lines, spec } = capture({
      job: 'fail-job',
      size: 4,
      entry: file,
      args: [],
      env: {},
      onRankEvent: (_r, event, outcome) => event === 'exited' && outcome && exited.push(outcome),
    });
    const result = await localPlatform({ killGraceMs: 2000 }).launch(spec);
    expect(result.ok).toBe(false);
    expect(result.firstFailure).toMatchObject({ rank: 1, ok: false, exitCode: 1, error: { message: 'FmiError: peer 3 vanished', kind: 'peer-lost' } });
    for (const r of result.ranks.filter((x) => x.rank !== 1))
      expect(r).toMatchObject({ ok: false, error: { kind: 'aborted', message: 'stopped: rank 1 failed' } });
    expect(exited).toHaveLength(4);
    // The record line is the launcher's, not the user's: it is not forwarded; Node's own report is.
    expect(lines.some((l) => l.line.includes('[fmi:rank-error]'))).toBe(false);
    expect(lines.some((l) => l.rank === 1 && l.stream === 'stderr' && l.line.includes('peer 3 vanished'))).toBe(true);
    // SIGTERM stops the waiting ranks at once; no SIGKILL grace period was needed.
    expect(Date.now() - t0).toBeLessThan(10_000);
    const started = (await readFile(pids, 'utf8')).trim().split('\n').map(Number);
    expect(started).toHaveLength(4);
    for (const pid of started) expect(alive(pid)).toBe(false);
  });

  it('takes the error of a rank that printed it and exited on its own', async () => {
    const file = await script('exit3.mjs', `if (process.env.FMI_RANK === '0') { console.error('TypeError: cannot read the data set'); process.exit(3); }`);
    const { spec } = capture({ job: 'exit-job', size: 2, entry: file, args: [], env: {} });
    const result = await localPlatform().launch(spec);
    expect(result.firstFailure).toMatchObject({ rank: 0, exitCode: 3, error: { message: 'TypeError: cannot read the data set' } });
  });

  it('stops every rank when the signal aborts, and kills a rank that ignores SIGTERM after the grace period', async () => {
    const file = await script(
      'stubborn.mjs',
      `if (process.env.FMI_RANK === '0') process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
       console.log('ready ' + process.pid);
       setInterval(() => {}, 1000);`,
    );
    const abort = new AbortController();
    const pids: number[] = [];
    const { lines, spec } = capture({ job: 'abort-job', size: 3, entry: file, args: [], env: {}, signal: abort.signal }, (_rank, line) => {
      const m = /^ready (\d+)$/.exec(line);
      if (m) pids.push(Number(m[1]));
      if (pids.length === 3) abort.abort(new FmiError('aborted', 'interrupted by SIGINT'));
    });
    const result = await localPlatform({ killGraceMs: 300 }).launch(spec);
    expect(result.ok).toBe(false);
    expect(result.firstFailure).toBeUndefined();
    for (const r of result.ranks) expect(r.error).toEqual({ kind: 'aborted', message: 'stopped: the launch was aborted: interrupted by SIGINT' });
    expect(lines.some((l) => l.rank === 0 && l.line === 'ignoring SIGTERM')).toBe(true);
    expect(pids).toHaveLength(3);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });

  it('stops the job when its timeout passes', async () => {
    const file = await script('forever.mjs', 'setInterval(() => {}, 1000);');
    const { spec } = capture({ job: 'slow-job', size: 2, entry: file, args: [], env: {} });
    const result = await localPlatform({ timeoutMs: 300 }).launch(spec);
    expect(result.ok).toBe(false);
    for (const r of result.ranks) expect(r.error).toMatchObject({ kind: 'timeout' });
  });

  it('returns at once for a signal aborted before the launch', async () => {
    const file = await script('never.mjs', 'throw new Error("must not run");');
    const { lines, spec } = capture({ job: 'pre-aborted', size: 2, entry: file, args: [], env: {}, signal: AbortSignal.abort() });
    const result = await localPlatform().launch(spec);
    expect(result.ok).toBe(false);
    expect(result.ranks.map((r) => r.error?.kind)).toEqual(['aborted', 'aborted']);
    expect(lines).toEqual([]);
  });

  it('passes script arguments and uses an external rendezvous server named in the spec', async () => {
    const file = await script('args.mjs', 'console.log(JSON.stringify([process.argv.slice(2), process.env.FMI_RENDEZVOUS, process.env.FMI_SECRET]));');
    const secret = deriveJobSecret('k'.repeat(32), 'ext-job');
    const { lines, spec } = capture({
      job: 'ext-job',
      size: 1,
      entry: file,
      args: ['--lr', '0.1'],
      env: { FMI_RENDEZVOUS: 'tcp://10.0.0.5:10000', FMI_SECRET: secret },
    });
    await localPlatform().launch(spec);
    expect(JSON.parse(lines[0].line)).toEqual([['--lr', '0.1'], 'tcp://10.0.0.5:10000', secret]);
  });

  it('refuses what it cannot run before starting anything', async () => {
    const ts = await script('app.ts', 'const x: number = 1;');
    const run = (entry: string, size = 2, job = 'refused') => localPlatform({ cwd: dir }).launch({ job, size, entry, args: [], env: {} });
    // tsx is not installed in this repository, so TypeScript is refused with the fix.
    await expect(run(ts)).rejects.toMatchObject({ kind: 'invalid-argument', field: 'script', message: expect.stringContaining('build it to JavaScript') });
    await expect(run('missing.js')).rejects.toMatchObject({ kind: 'invalid-argument', field: 'script', message: expect.stringContaining('does not exist') });
    await expect(run(dir)).rejects.toMatchObject({ field: 'script', message: expect.stringContaining('is not a file') });
    const js = await script('ok.js', '');
    await expect(run(js, 0)).rejects.toMatchObject({ kind: 'invalid-argument', field: 'size' });
    await expect(run(js, 2, 'bad job')).rejects.toMatchObject({ kind: 'invalid-argument', field: 'job' });
  });
});

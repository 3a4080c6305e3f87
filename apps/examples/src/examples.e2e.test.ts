import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';

declare module 'vitest' {
  interface ProvidedContext {
    redisUrl: string;
  }
}

const url = inject('redisUrl');
const dist = fileURLToPath(new URL('../dist/', import.meta.url));

interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a built example as `node <script> args` — how `fmi run` starts a rank — with `env` added. */
function node(script: string, args: readonly string[], env: Record<string, string>): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`${dist}${script}`, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts `size` ranks of one job over Redis, the FMI_* environment a launcher would set. */
function job(script: string, size: number, args: readonly string[] = []): Promise<Exit[]> {
  const id = `e2e-${randomUUID()}`;
  return Promise.all(
    Array.from({ length: size }, (_, rank) => node(script, args, { FMI_RANK: String(rank), FMI_SIZE: String(size), FMI_JOB: id, FMI_REDIS_URL: url })),
  );
}

describe.skipIf(!existsSync(`${dist}kmeans.js`))('built examples as separate processes (run `npm run build` first)', () => {
  it('kmeans.js: rank 0 prints the per-epoch table and the result, the others stay quiet, all exit 0', async () => {
    const exits = await job('kmeans.js', 3, ['--samples', '900', '--epochs', '3']);
    for (const e of exits) expect(e).toMatchObject({ code: 0, stderr: '' });
    const lines = exits[0].stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^k-means on MNIST: 900 samples × 196 features, k=10, 3 rank\(s\), channels: redis$/);
    const header = lines.findIndex((l) => /^epoch\s+inertia/.test(l.trim()));
    expect(lines.slice(header + 1, header + 4).map((l) => Number(l.trim().split(/\s+/)[0]))).toEqual([1, 2, 3]);
    expect(lines.at(-1)).toMatch(/^final: inertia [\d.]+, purity [\d.]+%/);
    expect(exits[1].stdout).toBe('');
    expect(exits[2].stdout).toBe('');
  });

  it('softmax.js trains on 2 ranks and reports held-out accuracy', async () => {
    const exits = await job('softmax.js', 2, ['--samples', '600', '--test', '200', '--epochs', '4']);
    for (const e of exits) expect(e).toMatchObject({ code: 0, stderr: '' });
    expect(exits[0].stdout).toMatch(/\nfinal: train loss [\d.]+, train accuracy [\d.]+%, test loss [\d.]+, test accuracy [\d.]+%/);
  });

  it('hello-collectives.js passes every check on 3 ranks', async () => {
    const exits = await job('hello-collectives.js', 3);
    for (const e of exits) expect(e).toMatchObject({ code: 0, stderr: '' });
    expect(exits[0].stdout).toMatch(/\nall 20 checks passed on 3 rank\(s\)\n$/);
  });

  it('a bad flag is one line naming it and exit code 2, before connecting', async () => {
    const e = await node('kmeans.js', ['--epochz', '3'], {});
    expect(e.code).toBe(2);
    expect(e.stderr.trim().split('\n')).toHaveLength(1);
    expect(e.stderr).toMatch(/--epochz/);
    const bad = await node('softmax.js', ['--pool', '3'], {});
    expect(bad).toMatchObject({ code: 2, stderr: 'error: --pool must be one of 1, 2, 4, 7, got 3\n' });
  });

  it('--help prints the flags and exits 0', async () => {
    const e = await node('kmeans.js', ['--help'], {});
    expect(e.code).toBe(0);
    expect(e.stdout).toMatch(/--epochs\s+Lloyd iterations \(default 10\)/);
  });

  it('without a launcher environment it fails with one line saying what to set', async () => {
    const e = await node('hello-collectives.js', [], {});
    expect(e.code).toBe(1);
    expect(e.stderr.trim().split('\n')).toHaveLength(1);
    expect(e.stderr).toMatch(/FMI_RANK/);
  });
});

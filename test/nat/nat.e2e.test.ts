import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNatTopology, type NatOptions, type NatTopology, natTopologyUnavailable } from '@fmi/tools/nat-topology';
import { describe, expect, it } from 'vitest';
import { deriveJobSecret } from '../../providers/self-hosted/src/rendezvous/job-secret.js';

/**
 * Two ranks behind two different NAT routers (network namespaces, iptables MASQUERADE), a
 * rendezvous server on the "public" network between them. Each rank is a child process running the
 * built packages; the test asserts the path the pair took and that a collective passed over it.
 */

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const serverEntry = resolve(root, 'providers/self-hosted/dist/rendezvous/main.js');
const rankScript = resolve(here, 'nat-rank.mjs');
const unavailable = natTopologyUnavailable();

interface RankReport {
  rank: number;
  path?: string;
  sum?: number[];
  bulkOk?: boolean;
  error?: string;
  kind?: string;
}

function collect(child: ChildProcess, what: string, timeoutMs: number): Promise<{ stdout: string; stderr: string; code: number | null }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolvePromise({ stdout, stderr, code });
    });
  });
}

async function startServer(topo: NatTopology, key: string): Promise<ChildProcess> {
  const server = topo.spawn(topo.publicNamespace, process.execPath, [serverEntry, '--host', topo.serverIp, '--port', '10000', '--key', key]);
  await new Promise<void>((resolvePromise, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`rendezvous server did not start: ${out}`)), 10_000);
    server.stdout?.on('data', (d) => {
      out += d;
      if (out.includes('listening on')) {
        clearTimeout(timer);
        resolvePromise();
      }
    });
    server.stderr?.on('data', (d) => (out += d));
    server.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`rendezvous server exited with ${code}: ${out}`));
    });
  });
  return server;
}

async function runPair(nat: NatOptions, extraEnv: Record<string, string> = {}): Promise<RankReport[]> {
  if (!existsSync(serverEntry)) throw new Error(`${serverEntry} is missing — run \`npm run build\` first (npm test does)`);
  const topo = await createNatTopology({ natA: nat, natB: nat });
  try {
    const key = `nat-test-key-${topo.id}`;
    const job = `nat-${topo.id}`;
    await startServer(topo, key);
    const ranks = topo.peers.map((peer, rank) =>
      collect(
        topo.spawn(peer.namespace, process.execPath, [rankScript], {
          cwd: root,
          env: {
            PATH: process.env.PATH,
            FMI_RANK: String(rank),
            FMI_SIZE: '2',
            FMI_JOB: job,
            FMI_SECRET: deriveJobSecret(key, job),
            FMI_RENDEZVOUS: `tcp://${topo.serverIp}:10000`,
            ...extraEnv,
          },
        }),
        `rank ${rank}`,
        45_000,
      ),
    );
    const results = await Promise.all(ranks);
    return results.map(({ stdout, stderr, code }, rank) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      let report: RankReport;
      try {
        report = JSON.parse(line) as RankReport;
      } catch {
        throw new Error(`rank ${rank} printed no report (exit ${code})\nstdout: ${stdout}\nstderr: ${stderr}`);
      }
      if (report.error) {
        const logs = results.map((r, i) => `--- rank ${i} stderr:\n${r.stderr}`).join('\n');
        throw new Error(`rank ${rank} failed (${report.kind}): ${report.error}\n${logs}`);
      }
      return report;
    });
  } finally {
    await topo.destroy();
  }
}

function expectCollectivePassed(reports: RankReport[]): void {
  for (const r of reports) {
    expect(r.sum).toEqual([3, 3]);
    expect(r.bulkOk).toBe(true);
  }
}

describe('direct channel under real NAT (network namespaces)', () => {
  it.skipIf(unavailable !== undefined)(
    `punches through two MASQUERADE NATs that drop unsolicited SYNs${unavailable ? ` — skipped: ${unavailable}` : ''}`,
    async () => {
      const reports = await runPair({ unsolicited: 'drop' });
      expect(reports.map((r) => r.path)).toEqual(['punched', 'punched']);
      expectCollectivePassed(reports);
    },
  );

  it.skipIf(unavailable !== undefined)(
    `punches through two MASQUERADE NATs that answer unsolicited SYNs with RST${unavailable ? ` — skipped: ${unavailable}` : ''}`,
    async () => {
      // Each RST also deletes the sender's NAT mapping, so the two SYNs must cross within one
      // NAT-to-NAT round trip (microseconds here): this holds only with retries paced by the RST
      // itself (hole-punch.ts). The budget is generous because CI runs this next to other test
      // files on few CPUs; an idle machine punches in milliseconds.
      const reports = await runPair({ unsolicited: 'rst' }, { NAT_TEST_PUNCH_MS: '15000' });
      expect(reports.map((r) => r.path)).toEqual(['punched', 'punched']);
      expectCollectivePassed(reports);
    },
  );

  it.skipIf(unavailable !== undefined)(`falls back to the relay behind port-randomising NATs${unavailable ? ` — skipped: ${unavailable}` : ''}`, async () => {
    // A short punch budget keeps the test quick; the default (5 s) only delays the same fallback.
    const reports = await runPair({ random: true }, { NAT_TEST_PUNCH_MS: '1500' });
    expect(reports.map((r) => r.path)).toEqual(['relay', 'relay']);
    expectCollectivePassed(reports);
  });
});

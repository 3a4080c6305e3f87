import { type ChildProcess, execFile, execFileSync, type SpawnOptions, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A NAT test topology of Linux network namespaces (root only), as notes/hole-punching.md
 * describes it:
 *
 *   pub (bridge br0, 10.77.0.1: the rendezvous server)
 *    ├─ natA  wan 10.77.0.2 ── lan 172.28.1.1 ── peerA 172.28.1.2
 *    └─ natB  wan 10.77.0.3 ── lan 172.28.2.1 ── peerB 172.28.2.2
 *
 * Each NAT router masquerades its LAN behind its WAN address and forwards inbound only what is
 * ESTABLISHED/RELATED. Neither peer can reach the other's private address. Namespace names carry a
 * random id per topology, so parallel runs never collide; `destroy()` removes every namespace (and so
 * every veth) and kills what still runs in them, also when creation failed half-way, and an `exit`
 * hook does the same if the process ends first.
 */

export interface NatOptions {
  /** `MASQUERADE --random`: a port-randomising ("symmetric") NAT that defeats hole punching. */
  readonly random?: boolean;
  /**
   * How the router answers an unsolicited SYN to its WAN address: `rst` (the Linux default, no
   * listener → RST) or `drop` (a firewall rule drops it).
   */
  readonly unsolicited?: 'rst' | 'drop';
}

export interface NatTopologyOptions {
  readonly natA?: NatOptions;
  readonly natB?: NatOptions;
}

export interface NatPeer {
  readonly namespace: string;
  readonly privateIp: string;
  /** The NAT's public (WAN) address. */
  readonly publicIp: string;
}

export interface NatTopology {
  readonly id: string;
  /** Namespace of the public network, where the rendezvous server runs. */
  readonly publicNamespace: string;
  readonly serverIp: string;
  readonly peers: readonly [NatPeer, NatPeer];
  /** Starts `command args` inside `namespace` (`ip netns exec`). */
  spawn(namespace: string, command: string, args: readonly string[], options?: SpawnOptions): ChildProcess;
  /** Runs a command inside `namespace` and returns its stdout. */
  exec(namespace: string, command: string, args: readonly string[]): Promise<string>;
  destroy(): Promise<void>;
}

/** Why the topology cannot be built here, or `undefined` when it can (root, `ip`, `iptables`). */
export function natTopologyUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'network namespaces need root';
  for (const tool of ['ip', 'iptables']) {
    if (!onPath(tool)) return `\`${tool}\` is not installed`;
  }
  return undefined;
}

function onPath(tool: string): boolean {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').concat(['/usr/sbin', '/sbin'])) {
    try {
      accessSync(`${dir}/${tool}`, constants.X_OK);
      return true;
    } catch {}
  }
  return false;
}

export async function createNatTopology(options: NatTopologyOptions = {}): Promise<NatTopology> {
  const reason = natTopologyUnavailable();
  if (reason) throw new Error(`[nat-topology] cannot build the topology: ${reason}`);
  const id = randomBytes(3).toString('hex');
  const ns = { pub: `fmi-${id}-pub`, natA: `fmi-${id}-nata`, natB: `fmi-${id}-natb`, peerA: `fmi-${id}-a`, peerB: `fmi-${id}-b` };
  const all = Object.values(ns);
  const created: string[] = [];
  const children = new Set<ChildProcess>();

  const destroySync = () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const name of created) {
      try {
        const pids = execFileSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).split(/\s+/).filter(Boolean);
        for (const pid of pids) {
          try {
            process.kill(Number(pid), 'SIGKILL');
          } catch {}
        }
      } catch {}
      try {
        execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
      } catch {}
    }
    created.length = 0;
  };
  process.once('exit', destroySync);

  const ip = (...args: string[]) => run('ip', args);
  const inNs = (name: string, ...args: string[]) => run('ip', ['netns', 'exec', name, ...args]);

  try {
    for (const name of all) {
      await ip('netns', 'add', name);
      created.push(name);
      await ip('-n', name, 'link', 'set', 'lo', 'up');
    }
    await ip('-n', ns.pub, 'link', 'add', 'br0', 'type', 'bridge');
    await ip('-n', ns.pub, 'addr', 'add', '10.77.0.1/24', 'dev', 'br0');
    await ip('-n', ns.pub, 'link', 'set', 'br0', 'up');

    const sides = [
      { nat: ns.natA, peer: ns.peerA, wan: '10.77.0.2', lan: '172.28.1', bridgePort: 'a-br', opts: options.natA ?? {} },
      { nat: ns.natB, peer: ns.peerB, wan: '10.77.0.3', lan: '172.28.2', bridgePort: 'b-br', opts: options.natB ?? {} },
    ];
    for (const s of sides) {
      await ip('-n', s.nat, 'link', 'add', 'wan', 'type', 'veth', 'peer', 'name', s.bridgePort, 'netns', ns.pub);
      await ip('-n', ns.pub, 'link', 'set', s.bridgePort, 'master', 'br0');
      await ip('-n', ns.pub, 'link', 'set', s.bridgePort, 'up');
      await ip('-n', s.nat, 'addr', 'add', `${s.wan}/24`, 'dev', 'wan');
      await ip('-n', s.nat, 'link', 'set', 'wan', 'up');
      await ip('-n', s.nat, 'link', 'add', 'lan', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', s.peer);
      await ip('-n', s.nat, 'addr', 'add', `${s.lan}.1/24`, 'dev', 'lan');
      await ip('-n', s.nat, 'link', 'set', 'lan', 'up');
      await ip('-n', s.peer, 'addr', 'add', `${s.lan}.2/24`, 'dev', 'eth0');
      await ip('-n', s.peer, 'link', 'set', 'eth0', 'up');
      await ip('-n', s.peer, 'route', 'add', 'default', 'via', `${s.lan}.1`);
      await inNs(s.nat, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1');
      await inNs(s.nat, 'iptables', '-t', 'nat', '-A', 'POSTROUTING', '-o', 'wan', '-j', 'MASQUERADE', ...(s.opts.random ? ['--random'] : []));
      await inNs(s.nat, 'iptables', '-A', 'FORWARD', '-i', 'wan', '-m', 'conntrack', '--ctstate', 'NEW,INVALID', '-j', 'DROP');
      if (s.opts.unsolicited === 'drop') {
        await inNs(s.nat, 'iptables', '-A', 'INPUT', '-i', 'wan', '-m', 'conntrack', '--ctstate', 'NEW,INVALID', '-j', 'DROP');
      }
    }
  } catch (e) {
    destroySync();
    process.off('exit', destroySync);
    const detail = (e as { stderr?: string }).stderr ?? (e as Error).message;
    throw new Error(`[nat-topology] building the topology failed: ${String(detail).trim()}`, { cause: e });
  }

  return {
    id,
    publicNamespace: ns.pub,
    serverIp: '10.77.0.1',
    peers: [
      { namespace: ns.peerA, privateIp: '172.28.1.2', publicIp: '10.77.0.2' },
      { namespace: ns.peerB, privateIp: '172.28.2.2', publicIp: '10.77.0.3' },
    ],
    spawn(namespace, command, args, spawnOptions = {}) {
      if (!all.includes(namespace)) throw new Error(`[nat-topology] ${namespace} is not a namespace of topology ${id}`);
      const child = spawn('ip', ['netns', 'exec', namespace, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...spawnOptions });
      children.add(child);
      child.once('exit', () => children.delete(child));
      return child;
    },
    async exec(namespace, command, args) {
      if (!all.includes(namespace)) throw new Error(`[nat-topology] ${namespace} is not a namespace of topology ${id}`);
      const { stdout } = await inNs(namespace, command, ...args);
      return stdout;
    },
    async destroy() {
      destroySync();
      process.off('exit', destroySync);
    },
  };
}

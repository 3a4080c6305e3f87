import { Deadline, type Logger } from '@fmi/core';
import { formatAddress } from '../rendezvous/address.js';
import { deriveJobSecret, generateServerKey } from '../rendezvous/job-secret.js';
import { type RendezvousServer, startRendezvousServer } from '../rendezvous/server.js';
import { DirectChannel } from './direct-channel.js';
import { type DirectChannelOptions, resolveDirectSettings } from './settings.js';

export interface DirectWorld {
  /** One open channel per rank, index = rank. */
  readonly channels: DirectChannel[];
  readonly server: RendezvousServer;
  /** `tcp://127.0.0.1:port` of the server. */
  readonly rendezvous: string;
  readonly serverKey: string;
  readonly job: string;
  /** Closes every channel, then the server (unless it was passed in). */
  close(): Promise<void>;
}

export interface DirectWorldOptions {
  readonly job?: string;
  /** Channel settings other than the address and the secret. */
  readonly channel?: Omit<DirectChannelOptions, 'rendezvous' | 'secret'>;
  /** Reuse a running server (its key must be `serverKey`). */
  readonly server?: { readonly server: RendezvousServer; readonly serverKey: string };
  readonly openTimeoutMs?: number;
  readonly logger?: Logger;
}

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * A job of `size` ranks in this process, every rank a real `direct` channel on loopback through a
 * real rendezvous server. For tests, benchmarks and the conformance suite.
 */
export async function openDirectWorld(size: number, o: DirectWorldOptions = {}): Promise<DirectWorld> {
  const serverKey = o.server?.serverKey ?? generateServerKey();
  const server = o.server?.server ?? (await startRendezvousServer({ host: '127.0.0.1', port: 0, serverKey }));
  const rendezvous = formatAddress({ host: '127.0.0.1', port: server.address.port });
  const job = o.job ?? `world-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  const secret = deriveJobSecret(serverKey, job);
  const channels: DirectChannel[] = [];
  for (let rank = 0; rank < size; rank++) {
    const settings = resolveDirectSettings({ section: undefined, options: { ...o.channel, rendezvous, secret }, env: {}, secret: undefined });
    if (!settings) throw new Error('unreachable: a rendezvous address was given');
    channels.push(new DirectChannel(settings));
  }
  const timeoutMs = o.openTimeoutMs ?? 30_000;
  const logger = o.logger ?? silent;
  const close = async () => {
    await Promise.all(channels.map((c) => c.close()));
    if (!o.server) await server.close();
  };
  try {
    await Promise.all(
      channels.map(async (channel, rank) => {
        const deadline = new Deadline(timeoutMs, `open rank ${rank}`);
        try {
          await channel.open({ rank, size, job, logger, clock: { now: () => Date.now() }, deadline });
        } finally {
          deadline.dispose();
        }
      }),
    );
  } catch (e) {
    await close();
    throw e;
  }
  return { channels, server, rendezvous, serverKey, job, close };
}

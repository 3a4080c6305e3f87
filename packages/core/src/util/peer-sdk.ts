import { FmiError } from '../errors.js';

/**
 * Cloud SDKs are optional peer dependencies of their provider, imported on first use only: a
 * provider installed for its platform or price book must not require its SDK. Their clients are
 * made once per process and shared — a function instance is reused across invocations (warm
 * starts) and every rank's channel in one process talks to the same service, so they share the
 * client, its auth token cache and its keep-alive sockets.
 */

/** What a channel needs installed, for the `config` error when it is not. */
export interface PeerSdk {
  /** The channel that needs it: `gcs`. */
  readonly channel: string;
  /** The npm package and the range to install: `@google-cloud/storage`, `^7`. */
  readonly packageName: string;
  readonly range: string;
}

/** Imports a peer SDK; a missing package fails with `config` saying what to install. */
export async function importPeerSdk<T>(load: () => Promise<T>, peer: PeerSdk): Promise<T> {
  try {
    return await load();
  } catch (cause) {
    const { channel, packageName, range } = peer;
    throw new FmiError('config', `[${channel}] the ${channel} channel needs ${packageName} — install it: npm install ${packageName}@${range}`, {
      field: `channels.${channel}`,
      channel,
      cause,
    });
  }
}

/**
 * The client cached under `key` in `cache`, made by `make` on first use. A failure is not cached:
 * the next open() tries again (and reports again), so installing the package or fixing the network
 * cures a warm process too.
 */
export function sharedClient<T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let client = cache.get(key);
  if (!client) {
    client = make();
    cache.set(key, client);
    client.catch(() => cache.delete(key));
  }
  return client;
}

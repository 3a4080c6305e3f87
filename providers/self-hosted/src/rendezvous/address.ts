import { isIP } from 'node:net';
import { FmiError } from '@fmi/core';

/** Where the rendezvous server listens. */
export interface RendezvousAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * Parses `tcp://host:port`, `host:port` or `[v6]:port`. `field` names the setting in errors
 * (`channels.direct.rendezvous`, `FMI_RENDEZVOUS`).
 */
export function parseRendezvousAddress(value: string, field: string): RendezvousAddress {
  const bad = (why: string) =>
    new FmiError('config', `${field}: "${value}" is not a rendezvous address (${why}) — use tcp://host:port`, { field, channel: 'direct' });
  const text = value.trim();
  if (text.length === 0) throw bad('empty');
  let url: URL;
  try {
    url = new URL(text.includes('://') ? text : `tcp://${text}`);
  } catch {
    throw bad('unparsable');
  }
  if (url.protocol !== 'tcp:') throw bad(`scheme "${url.protocol.replace(':', '')}" is not tcp`);
  if (url.pathname !== '' && url.pathname !== '/') throw bad('a path is not allowed');
  if (url.username || url.password || url.search || url.hash) throw bad('credentials, query and fragment are not allowed');
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (!host) throw bad('no host');
  if (url.port === '') throw bad('no port');
  const port = Number(url.port);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw bad('port out of range');
  if (host.includes(':') && isIP(host) !== 6) throw bad('invalid IPv6 address');
  return { host, port };
}

export function formatAddress(address: RendezvousAddress): string {
  return isIP(address.host) === 6 ? `tcp://[${address.host}]:${address.port}` : `tcp://${address.host}:${address.port}`;
}

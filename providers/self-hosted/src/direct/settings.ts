import { FmiError } from '@fmi/core';
import { parseRendezvousAddress, type RendezvousAddress } from '../rendezvous/address.js';
import type { PairPath } from '../rendezvous/protocol.js';

/** Settings of the direct channel, as `directChannelProvider(options)` and `channels.direct` take them. */
export interface DirectChannelOptions {
  /** `tcp://host:port` of the rendezvous server. Default: `FMI_RENDEZVOUS`. */
  readonly rendezvous?: string;
  /** Job secret. Default: the communicator's secret (`FMI_SECRET`). Not accepted in `fmi.json`. */
  readonly secret?: string;
  /**
   * Paths to try, in this order of preference: `private` (dial the peer's own addresses),
   * `punched` (TCP simultaneous open through NATs), `relay` (through the server). Default: all three.
   * Tests force one, e.g. `['relay']`.
   */
  readonly paths?: readonly PairPath[];
  /** How long the private dial may take before punching starts. Default 1000 ms. */
  readonly privateTimeoutMs?: number;
  /** Budget of hole punching before the relay is tried. Default 5000 ms. */
  readonly punchTimeoutMs?: number;
  /** Bound of the whole pairing of one peer (all paths, waiting for the peer to start). Default 60000 ms. */
  readonly connectTimeoutMs?: number;
  /** Interface of the private listener. Default: all (`::`, or `0.0.0.0` without IPv6). */
  readonly listenHost?: string;
}

export interface DirectSettings {
  readonly address: RendezvousAddress;
  readonly secret: string;
  readonly paths: readonly PairPath[];
  readonly privateTimeoutMs: number;
  readonly punchTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly listenHost: string | undefined;
}

const ALL_PATHS: readonly PairPath[] = ['private', 'punched', 'relay'];
const FILE_KEYS = ['rendezvous', 'paths', 'privateTimeoutMs', 'punchTimeoutMs', 'connectTimeoutMs', 'listenHost'] as const;
const OPTION_KEYS = [...FILE_KEYS, 'secret'] as const;

export interface SettingsSources {
  /** `config.channels.direct`, from `fmi.json`. */
  readonly section: Readonly<Record<string, unknown>> | undefined;
  readonly options: DirectChannelOptions | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly secret: string | undefined;
}

/**
 * Merges file < environment < programmatic options (the order of DESIGN.md) and validates
 * strictly. Returns `undefined` when no rendezvous address is known (the channel is then not
 * offered); throws `config` naming the bad field otherwise.
 */
export function resolveDirectSettings(sources: SettingsSources): DirectSettings | undefined {
  const file = checkKeys(sources.section ?? {}, FILE_KEYS, 'channels.direct');
  const options = checkKeys((sources.options ?? {}) as Record<string, unknown>, OPTION_KEYS, 'direct options');
  const pick = (key: (typeof OPTION_KEYS)[number]): [unknown, string] =>
    options[key] !== undefined ? [options[key], `direct options.${key}`] : [file[key], `channels.direct.${key}`];

  let rendezvous: [unknown, string] = [file.rendezvous, 'channels.direct.rendezvous'];
  const envValue = sources.env.FMI_RENDEZVOUS;
  if (envValue !== undefined && envValue !== '') rendezvous = [envValue, 'FMI_RENDEZVOUS'];
  if (options.rendezvous !== undefined) rendezvous = [options.rendezvous, 'direct options.rendezvous'];
  if (rendezvous[0] === undefined) return undefined;
  if (typeof rendezvous[0] !== 'string') throw configError(rendezvous[1], 'must be a string like tcp://host:port');
  const address = parseRendezvousAddress(rendezvous[0], rendezvous[1]);

  const secret = options.secret !== undefined ? options.secret : sources.secret;
  if (typeof secret !== 'string' || secret.length === 0) {
    throw configError(
      options.secret !== undefined ? 'direct options.secret' : 'FMI_SECRET',
      `a rendezvous server is set (${rendezvous[0]}) but no job secret — set FMI_SECRET (derived from the server key, see \`fmi rendezvous\`)`,
    );
  }

  const [pathsValue, pathsField] = pick('paths');
  let paths = ALL_PATHS;
  if (pathsValue !== undefined) {
    if (!Array.isArray(pathsValue) || pathsValue.length === 0) throw configError(pathsField, `must be a non-empty array of ${ALL_PATHS.join(', ')}`);
    for (const p of pathsValue)
      if (!ALL_PATHS.includes(p as PairPath)) throw configError(pathsField, `unknown path "${String(p)}" (use ${ALL_PATHS.join(', ')})`);
    if (new Set(pathsValue).size !== pathsValue.length) throw configError(pathsField, 'lists a path twice');
    // Paths are always tried in the order private, punched, relay; the list says which.
    paths = ALL_PATHS.filter((p) => pathsValue.includes(p));
  }

  const listen = pick('listenHost');
  if (listen[0] !== undefined && (typeof listen[0] !== 'string' || listen[0].length === 0)) throw configError(listen[1], 'must be a non-empty string');

  return {
    address,
    secret,
    paths,
    privateTimeoutMs: duration(pick('privateTimeoutMs'), 1_000),
    punchTimeoutMs: duration(pick('punchTimeoutMs'), 5_000),
    connectTimeoutMs: duration(pick('connectTimeoutMs'), 60_000),
    listenHost: listen[0] as string | undefined,
  };
}

function checkKeys(record: Record<string, unknown>, allowed: readonly string[], where: string): Record<string, unknown> {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) throw configError(where, 'must be an object');
  for (const key of Object.keys(record)) {
    if (!allowed.includes(key)) throw configError(`${where}.${key}`, `unknown setting (known: ${allowed.join(', ')})`);
  }
  return record;
}

function duration([value, field]: [unknown, string], fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 3_600_000)
    throw configError(field, 'must be an integer number of milliseconds, 1..3600000');
  return value;
}

function configError(field: string, message: string): FmiError {
  return new FmiError('config', `[direct] ${field}: ${message}`, { field, channel: 'direct' });
}

/**
 * `@fmi/self-hosted`: the channels and the platform that need no cloud account — the `direct`
 * channel (TCP between ranks through a rendezvous server, hole punching, relay fallback), the
 * `redis` channel, and the local process platform.
 */
import { type ContainerModule, fmiModule } from '@fmi/core';
import { directChannelProvider } from './direct/provider.js';
import type { DirectChannelOptions } from './direct/settings.js';
import { localPlatform } from './platform/local-platform.js';
import { type RedisProviderOptions, redisChannelProvider } from './redis/provider.js';

export interface SelfHostedOptions {
  /** `tcp://host:port` of the rendezvous server (default: FMI_RENDEZVOUS), or all direct-channel options. */
  readonly rendezvous?: string;
  readonly direct?: DirectChannelOptions;
  /** `redis://host:port` (default: FMI_REDIS_URL), or all Redis-channel options. */
  readonly redis?: string | RedisProviderOptions;
}

/** The provider module: binds the `direct` and `redis` channel plugins and the `local` platform. */
export function selfHosted(options: SelfHostedOptions = {}): ContainerModule {
  const direct: DirectChannelOptions = { ...options.direct, ...(options.rendezvous ? { rendezvous: options.rendezvous } : {}) };
  const redis: RedisProviderOptions = typeof options.redis === 'string' ? { url: options.redis } : (options.redis ?? {});
  return fmiModule({ channels: [directChannelProvider(direct), redisChannelProvider(redis)], platforms: [localPlatform()] });
}

export { DIRECT_CAPABILITIES, DIRECT_MODEL, DirectChannel } from './direct/direct-channel.js';
export { openDirectWorld } from './direct/loopback-world.js';
export { directChannelProvider } from './direct/provider.js';
export type { DirectChannelOptions } from './direct/settings.js';
export { type LocalLaunchSpec, type LocalPlatformOptions, localPlatform } from './platform/local-platform.js';
export { type DeleteJobKeysOptions, deleteJobKeys } from './redis/gc.js';
export { type RedisProviderOptions, redisChannelProvider } from './redis/provider.js';
export { RedisChannel, type RedisChannelOptions } from './redis/redis-channel.js';
export { formatAddress, parseRendezvousAddress } from './rendezvous/address.js';
export { deriveJobSecret, generateServerKey } from './rendezvous/job-secret.js';
export {
  DEFAULT_RENDEZVOUS_LIMITS,
  type RendezvousLimits,
  RendezvousServer,
  type RendezvousServerOptions,
  startRendezvousServer,
} from './rendezvous/server.js';

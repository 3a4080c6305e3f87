import type { ChannelFactoryContext, ChannelProvider } from '@fmi/core';
import { RedisChannel } from './redis-channel.js';
import { type RedisChannelSettings, resolveRedisSettings } from './redis-options.js';

/** Programmatic options of the Redis channel; they win over `FMI_REDIS_URL` and `channels.redis` in config. */
export type RedisProviderOptions = RedisChannelSettings;

/**
 * The Redis channel plugin. `create` merges `channels.redis` from config, `FMI_REDIS_URL` and these
 * options (in that order, later winning), validates them strictly and returns a channel, or
 * `undefined` when no URL is known anywhere (the channel is then not offered). It does no I/O:
 * `open()` connects.
 */
export function redisChannelProvider(options: RedisProviderOptions = {}): ChannelProvider {
  return {
    name: 'redis',
    kind: 'object',
    create(ctx: ChannelFactoryContext): RedisChannel | undefined {
      const settings = resolveRedisSettings({ config: ctx.config.channels?.redis, env: ctx.env, options });
      if (!settings) return undefined;
      // Model overrides from config (`model.channels.redis`) are applied by core for every channel alike.
      return new RedisChannel(settings);
    },
  };
}

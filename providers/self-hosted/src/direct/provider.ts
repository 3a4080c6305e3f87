import type { ChannelFactoryContext, ChannelProvider } from '@fmi/core';
import { DirectChannel } from './direct-channel.js';
import { type DirectChannelOptions, resolveDirectSettings } from './settings.js';

/**
 * The `direct` channel plugin. `create` validates `channels.direct` (unknown keys are refused with
 * their path), reads `FMI_RENDEZVOUS` and the job secret, and returns `undefined` when no rendezvous
 * server is known: the channel is then simply not offered. It does no I/O; `open()` connects.
 */
export function directChannelProvider(options?: DirectChannelOptions): ChannelProvider {
  return {
    name: 'direct',
    kind: 'message',
    create(ctx: ChannelFactoryContext) {
      const settings = resolveDirectSettings({ section: ctx.config.channels.direct, options, env: ctx.env, secret: ctx.secret });
      return settings ? new DirectChannel(settings) : undefined;
    },
  };
}

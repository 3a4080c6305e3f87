import { ContainerModule } from 'inversify';
import { type ChannelProvider, type Clock, type Logger, type PlatformProvider, type PriceBook, TOKENS } from './tokens.js';

export interface FmiModuleParts {
  readonly channels?: readonly ChannelProvider[];
  readonly platforms?: readonly PlatformProvider[];
  readonly priceBook?: PriceBook;
  readonly logger?: Logger;
  readonly clock?: Clock;
}

/**
 * Builds the `ContainerModule` a provider returns from its factory (`selfHosted(...)`, `aws(...)`,
 * a third-party channel). Multi tokens are bound once per plugin, unconstrained; every plugin
 * carries its own `name`.
 */
export function fmiModule(parts: FmiModuleParts): ContainerModule {
  return new ContainerModule(({ bind }) => {
    for (const c of parts.channels ?? []) bind<ChannelProvider>(TOKENS.ChannelProvider).toConstantValue(c);
    for (const p of parts.platforms ?? []) bind<PlatformProvider>(TOKENS.PlatformProvider).toConstantValue(p);
    if (parts.priceBook) bind<PriceBook>(TOKENS.PriceBook).toConstantValue(parts.priceBook);
    if (parts.logger) bind<Logger>(TOKENS.Logger).toConstantValue(parts.logger);
    if (parts.clock) bind<Clock>(TOKENS.Clock).toConstantValue(parts.clock);
  });
}

import { type ChannelProvider, type ContainerModule, DEFAULT_PRICE_BOOK, type PlatformProvider, type PriceBook, TOKENS } from '@fmi/core';
import { selfHosted } from '@fmi/self-hosted';
// The only place the CLI touches inversify: core exports the module type and the tokens but no
// helper that opens modules without connecting. Asked of the lead: `loadModules(modules)` in core,
// after which this import goes (and @fmi/cli needs no inversify of its own).
import { Container } from 'inversify';

/** Optional provider packages and the module factory each exports; absent packages are skipped. */
const OPTIONAL_PROVIDERS = [
  { pkg: '@fmi/aws', factory: 'aws' },
  { pkg: '@fmi/gcp', factory: 'gcp' },
  { pkg: '@fmi/azure', factory: 'azure' },
] as const;

export interface LoadedProviders {
  /** The modules, `selfHosted()` first; ranks do not get these (each script loads its own). */
  readonly modules: readonly ContainerModule[];
  /** Packages that were found and loaded, e.g. `@fmi/self-hosted`, `@fmi/aws`. */
  readonly packages: readonly string[];
  /** Packages present but failing to load, with the reason (shown with --verbose or when asked for). */
  readonly failures: ReadonlyArray<{ readonly pkg: string; readonly error: string }>;
  readonly channels: readonly ChannelProvider[];
  readonly platforms: readonly PlatformProvider[];
  readonly priceBook: PriceBook;
}

/**
 * Loads `@fmi/self-hosted` and every optional provider package that is installed, and collects
 * their channel and platform plugins through the same container mechanism `connect()` uses, so a
 * new provider is picked up by installing it.
 */
export async function loadProviders(): Promise<LoadedProviders> {
  const modules: ContainerModule[] = [selfHosted()];
  const packages = ['@fmi/self-hosted'];
  const failures: { pkg: string; error: string }[] = [];
  for (const { pkg, factory } of OPTIONAL_PROVIDERS) {
    let mod: Record<string, unknown>;
    try {
      // A variable specifier: these packages are optional and not dependencies of the CLI.
      const specifier: string = pkg;
      mod = (await import(specifier)) as Record<string, unknown>;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // Not installed (or installed without its build): simply not offered.
      if (code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') continue;
      failures.push({ pkg, error: (e as Error).message });
      continue;
    }
    const make = mod[factory];
    if (typeof make !== 'function') {
      failures.push({ pkg, error: `it exports no module factory "${factory}()"` });
      continue;
    }
    try {
      modules.push((make as () => ContainerModule)());
      packages.push(pkg);
    } catch (e) {
      failures.push({ pkg, error: (e as Error).message });
    }
  }
  const container = new Container();
  for (const m of modules) await container.load(m);
  const all = <T>(token: symbol): T[] => (container.isBound(token) ? container.getAll<T>(token) : []);
  const books = all<PriceBook>(TOKENS.PriceBook);
  return {
    modules,
    packages,
    failures,
    channels: all<ChannelProvider>(TOKENS.ChannelProvider),
    platforms: all<PlatformProvider>(TOKENS.PlatformProvider),
    // Ranks built by `connect()` with one provider's module use its price book; with several, the
    // first loaded one (the same order `connect()` sees them in when given the same modules).
    priceBook: books[0] ?? DEFAULT_PRICE_BOOK,
  };
}

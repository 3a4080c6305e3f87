import { type ContainerModule, resolveConfig } from '@fmi/core';
import { selfHosted } from '@fmi/self-hosted';

/** An optional cloud provider: its package, the module factory it exports, and how a user selects its channels. */
interface CloudProvider {
  readonly pkg: string;
  readonly factory: string;
  /** Channel settings in the environment contract (DESIGN.md). */
  readonly envVars: readonly string[];
  /** Channel names as they appear under `channels` in `fmi.json`. */
  readonly channels: readonly string[];
}

const CLOUD_PROVIDERS: readonly CloudProvider[] = [
  { pkg: '@fmi/aws', factory: 'aws', envVars: ['FMI_S3_BUCKET', 'FMI_DYNAMODB_TABLE'], channels: ['s3', 'dynamodb'] },
  { pkg: '@fmi/gcp', factory: 'gcp', envVars: ['FMI_GCS_BUCKET'], channels: ['gcs'] },
  { pkg: '@fmi/azure', factory: 'azure', envVars: ['FMI_AZURE_CONTAINER'], channels: ['azure-blob'] },
];

export interface ProviderModulesOptions {
  /** Environment to read (default `process.env`): FMI_CONFIG and the channel settings. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * The provider modules for this run: `selfHosted()` always (it offers `direct` with FMI_RENDEZVOUS
 * and `redis` with FMI_REDIS_URL, nothing without them), and `aws()`, `gcp()` or `azure()` when
 * that package is installed and the environment or `fmi.json` (FMI_CONFIG) configures one of its
 * channels. So the same example runs unchanged over direct, Redis, S3, DynamoDB, GCS or Azure Blob —
 * only the environment or the config differs.
 *
 * Why not load every installed cloud provider: each binds its platform's price book (the function
 * price the cost model adds), and core accepts one, so loading two fails `connect()` even when
 * neither offers a channel. Loading only the configured ones keeps a laptop run free of them.
 *
 * Only "package not installed" is skipped. A configured provider that fails to load, or whose
 * settings are wrong, fails here, before any rank starts talking (found later, a config error
 * would hang the other ranks).
 */
export async function providerModules(options: ProviderModulesOptions = {}): Promise<ContainerModule[]> {
  const env = options.env ?? process.env;
  const modules: ContainerModule[] = [selfHosted()];
  const configured = new Set(Object.keys((await resolveConfig({ env })).channels));
  for (const provider of CLOUD_PROVIDERS) {
    const wanted = provider.envVars.some((name) => (env[name] ?? '').trim() !== '') || provider.channels.some((name) => configured.has(name));
    if (!wanted) continue;
    const loaded = await importIfInstalled(provider.pkg);
    if (loaded === undefined) continue;
    const make = loaded[provider.factory];
    if (typeof make !== 'function')
      throw new Error(`${provider.pkg} is installed but does not export a function "${provider.factory}" — is it a matching version of FMI?`);
    modules.push((make as () => ContainerModule)());
  }
  return modules;
}

async function importIfInstalled(pkg: string): Promise<Record<string, unknown> | undefined> {
  try {
    // A variable specifier keeps TypeScript from requiring the package at build time: the cloud
    // providers are optional, and an installation without them must still compile and run.
    const specifier: string = pkg;
    return (await import(specifier)) as Record<string, unknown>;
  } catch (err) {
    if (isNotInstalled(err, pkg)) return undefined;
    throw err;
  }
}

/**
 * Node reports a missing package, or a workspace package whose entry file was never built, as
 * ERR_MODULE_NOT_FOUND naming the package or its entry file; Vite (under vitest) reports a workspace
 * package without its entry as "Failed to resolve entry for package". A missing module *imported by*
 * the provider names some other package or file and is a real error.
 */
function isNotInstalled(err: unknown, pkg: string): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  const text = String(message);
  if (text.startsWith(`Failed to resolve entry for package "${pkg}"`)) return true;
  if (code !== 'ERR_MODULE_NOT_FOUND') return false;
  const dir = pkg.split('/')[1];
  return text.includes(`'${pkg}'`) || text.includes(`"${pkg}"`) || text.includes(`/${dir}/dist/index.js`);
}

import { envSetting, optionChecks, type SettingSources } from '@fmi/core';

const check = optionChecks('azure-blob', { channel: 'azure-blob' });

/** Settings of the `azure-blob` channel, from `azure({ blob })`, `channels.azure-blob` in config, or the environment. */
export interface AzureBlobSettings {
  /** Container that holds the job's objects (env FMI_AZURE_CONTAINER). It must exist: FMI never creates containers. */
  readonly container?: string;
  /**
   * Storage account connection string (env AZURE_STORAGE_CONNECTION_STRING): account key or SAS.
   * Accepted in options and the environment only, never in the config file, because it is a secret.
   */
  readonly connectionString?: string;
  /** Prefix of every blob name; default `fmi/`. Blobs are `${prefix}${job}/${key}` (env FMI_AZURE_PREFIX). */
  readonly prefix?: string;
  /** Longest pause between two polls of a waiting `get`, ms; default 200. Lower is faster and costs more reads. */
  readonly maxPollIntervalMs?: number;
}

export interface ResolvedAzureBlobSettings {
  readonly container: string;
  /** Where the container came from, named in `config` errors. */
  readonly containerField: string;
  readonly connectionString: string;
  readonly connectionStringField: string;
  readonly prefix: string;
  readonly maxPollIntervalMs: number;
}

export const AZURE_BLOB_SETTING_KEYS = ['container', 'connectionString', 'prefix', 'maxPollIntervalMs'] as const;
const CONFIG_KEYS = ['container', 'prefix', 'maxPollIntervalMs'] as const;
export const DEFAULT_AZURE_PREFIX = 'fmi/';
export const DEFAULT_MAX_POLL_INTERVAL_MS = 200;

/** Azure container names: 3-63 of lower-case letters, digits and single hyphens, starting and ending with a letter or digit. */
function containerProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'a container name has 3 to 63 characters';
  if (!/^[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9]$/.test(name))
    return 'a container name holds lower-case letters, digits and single hyphens, starting and ending with a letter or digit';
  return undefined;
}

function prefixProblem(prefix: string): string | undefined {
  if (prefix.length > 512) return 'at most 512 characters';
  if (prefix.startsWith('/')) return 'must not start with "/"';
  if (/[\r\n\\]/.test(prefix)) return 'must not hold line breaks or backslashes';
  return undefined;
}

/** A connection string names an account key, a SAS or (azurite) UseDevelopmentStorage; otherwise the SDK fails late. */
function connectionStringProblem(value: string): string | undefined {
  if (/UseDevelopmentStorage=true/i.test(value)) return undefined;
  if (!/BlobEndpoint=|AccountName=/i.test(value))
    return 'expected an Azure Storage connection string (AccountName=...;AccountKey=... or BlobEndpoint=...;SharedAccessSignature=...)';
  if (!/AccountKey=|SharedAccessSignature=/i.test(value)) return 'the connection string has neither AccountKey nor SharedAccessSignature';
  return undefined;
}

/** Never echo a connection string: it carries the account key. */
function checkSecretString(value: unknown, field: string): void {
  if (typeof value !== 'string') throw check.error(field, `expected a connection string, got ${typeof value}`);
  const problem = connectionStringProblem(value);
  if (problem) throw check.error(field, problem);
}

/** Checks one source strictly; `path` prefixes field names (`channels.azure-blob`, `azure.blob`). */
export function checkAzureBlobSettings(input: unknown, path: string, fromConfigFile = false): AzureBlobSettings {
  if (input === undefined) return {};
  const record = check.record(input, path, fromConfigFile ? [...CONFIG_KEYS] : [...AZURE_BLOB_SETTING_KEYS]);
  if (record.container !== undefined) check.string(record.container, `${path}.container`, containerProblem);
  if (record.connectionString !== undefined) checkSecretString(record.connectionString, `${path}.connectionString`);
  if (record.prefix !== undefined) check.string(record.prefix, `${path}.prefix`, prefixProblem);
  if (record.maxPollIntervalMs !== undefined) check.int(record.maxPollIntervalMs, `${path}.maxPollIntervalMs`, 1, 60_000);
  return record as AzureBlobSettings;
}

/**
 * Merges config (`channels.azure-blob`), environment and options, later winning. Returns `undefined`
 * when nothing mentions the channel; throws `config` when a source is present but the container or
 * the connection string is missing.
 */
export function resolveAzureBlobSettings(sources: SettingSources<AzureBlobSettings>): ResolvedAzureBlobSettings | undefined {
  const env = sources.env ?? {};
  const optionsPath = sources.optionsPath ?? 'azure.blob';
  const fromConfig = checkAzureBlobSettings(sources.config, 'channels.azure-blob', true);
  const fromOptions = checkAzureBlobSettings(sources.options, optionsPath);
  const envContainer = envSetting(env, 'FMI_AZURE_CONTAINER');
  const envPrefix = env.FMI_AZURE_PREFIX;
  const envConnection = envSetting(env, 'AZURE_STORAGE_CONNECTION_STRING');
  if (envContainer !== undefined) check.string(envContainer, 'FMI_AZURE_CONTAINER', containerProblem);
  if (envPrefix !== undefined) check.string(envPrefix, 'FMI_AZURE_PREFIX', prefixProblem);

  const [container, containerField] =
    fromOptions.container !== undefined
      ? [fromOptions.container, `${optionsPath}.container`]
      : envContainer !== undefined
        ? [envContainer, 'FMI_AZURE_CONTAINER']
        : [fromConfig.container, 'channels.azure-blob.container'];
  if (container === undefined) {
    if (sources.options !== undefined)
      throw check.error(`${optionsPath}.container`, 'no container: set it here, in FMI_AZURE_CONTAINER or in channels.azure-blob.container');
    if (sources.config !== undefined)
      throw check.error(
        'channels.azure-blob.container',
        'no container: the channels.azure-blob section is present but names no container (or set FMI_AZURE_CONTAINER)',
      );
    return undefined;
  }
  const [connectionString, connectionStringField] =
    fromOptions.connectionString !== undefined
      ? [fromOptions.connectionString, `${optionsPath}.connectionString`]
      : [envConnection, 'AZURE_STORAGE_CONNECTION_STRING'];
  if (connectionString === undefined) {
    throw check.error(
      'AZURE_STORAGE_CONNECTION_STRING',
      `container "${container}" is set (${containerField}) but no storage account is: set AZURE_STORAGE_CONNECTION_STRING or ${optionsPath}.connectionString`,
    );
  }
  if (connectionStringField === 'AZURE_STORAGE_CONNECTION_STRING') checkSecretString(connectionString, connectionStringField);
  return {
    container,
    containerField,
    connectionString,
    connectionStringField,
    prefix: fromOptions.prefix ?? envPrefix ?? fromConfig.prefix ?? DEFAULT_AZURE_PREFIX,
    maxPollIntervalMs: fromOptions.maxPollIntervalMs ?? fromConfig.maxPollIntervalMs ?? DEFAULT_MAX_POLL_INTERVAL_MS,
  };
}

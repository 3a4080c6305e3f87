import type { ChannelModel } from '@fmi/core';
import {
  type AwsCredentialsOption,
  checkBoolean,
  checkCredentials,
  checkEndpoint,
  checkInt,
  checkObject,
  checkString,
  configError,
  REGION_PATTERN,
} from '../settings-check.js';

/** Settings of the DynamoDB channel (`aws({ dynamodb })`, `channels.dynamodb` in config, or env). */
export interface DynamoDbChannelSettings {
  /** Table name (FMI_DYNAMODB_TABLE); schema in the README and `FMI_TABLE_SCHEMA`. */
  readonly table?: string;
  /** Region; default AWS_REGION / AWS_DEFAULT_REGION, then `us-east-1`. */
  readonly region?: string;
  /** Endpoint of a DynamoDB-compatible server, e.g. `http://127.0.0.1:4567` (FMI_DYNAMODB_ENDPOINT). */
  readonly endpoint?: string;
  /** Create the table (on-demand billing) when it does not exist; default false. */
  readonly createTable?: boolean;
  /** Lifetime of every item (its `ttl` attribute), seconds; default 86,400. */
  readonly ttlSeconds?: number;
  /** First delay of a polled `get(wait)`, ms; default 5. */
  readonly pollFirstDelayMs?: number;
  /** Longest delay between polls, ms; default 100. */
  readonly pollMaxDelayMs?: number;
}

export interface DynamoDbProgrammaticOptions extends DynamoDbChannelSettings {
  readonly credentials?: AwsCredentialsOption;
  readonly model?: Partial<ChannelModel>;
}

export interface ResolvedDynamoDbSettings {
  readonly table: string;
  readonly tableField: string;
  readonly region: string;
  readonly endpoint: string | undefined;
  readonly createTable: boolean;
  readonly ttlSeconds: number;
  readonly pollFirstDelayMs: number;
  readonly pollMaxDelayMs: number;
  readonly credentials: AwsCredentialsOption | undefined;
  readonly model: Partial<ChannelModel> | undefined;
}

export const DYNAMODB_SETTING_KEYS = ['table', 'region', 'endpoint', 'createTable', 'ttlSeconds', 'pollFirstDelayMs', 'pollMaxDelayMs'] as const;
const PROGRAMMATIC_KEYS = [...DYNAMODB_SETTING_KEYS, 'credentials', 'model'] as const;
const TABLE_PATTERN = { re: /^[A-Za-z0-9_.-]{3,255}$/, what: 'a table name (3-255 letters, digits, "_", "-" and ".")' };
const MAX_TTL_SECONDS = 366 * 86_400;

export function checkDynamoDbSettings(input: unknown, path: string, programmatic: boolean): DynamoDbProgrammaticOptions {
  if (input === undefined) return {};
  const r = checkObject('dynamodb', input, path, programmatic ? PROGRAMMATIC_KEYS : DYNAMODB_SETTING_KEYS);
  checkString('dynamodb', r.table, `${path}.table`, TABLE_PATTERN);
  checkString('dynamodb', r.region, `${path}.region`, REGION_PATTERN);
  checkEndpoint('dynamodb', r.endpoint, `${path}.endpoint`);
  checkBoolean('dynamodb', r.createTable, `${path}.createTable`);
  checkInt('dynamodb', r.ttlSeconds, `${path}.ttlSeconds`, 60, MAX_TTL_SECONDS, 'seconds');
  checkInt('dynamodb', r.pollFirstDelayMs, `${path}.pollFirstDelayMs`, 1, 10_000, 'ms');
  checkInt('dynamodb', r.pollMaxDelayMs, `${path}.pollMaxDelayMs`, 1, 60_000, 'ms');
  if (programmatic) {
    checkCredentials('dynamodb', r.credentials, `${path}.credentials`);
    if (r.model !== undefined && (typeof r.model !== 'object' || r.model === null))
      throw configError('dynamodb', `${path}.model`, 'expected an object of model parameters');
  }
  return r as DynamoDbProgrammaticOptions;
}

export interface DynamoDbSources {
  readonly options?: DynamoDbProgrammaticOptions | undefined;
  readonly config?: unknown;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly region?: string | undefined;
  readonly credentials?: AwsCredentialsOption | undefined;
}

/** Config, then env, then options (later wins); `undefined` when nothing mentions DynamoDB. */
export function resolveDynamoDbSettings(sources: DynamoDbSources): ResolvedDynamoDbSettings | undefined {
  const env = sources.env ?? {};
  const fromConfig = checkDynamoDbSettings(sources.config, 'channels.dynamodb', false);
  const fromOptions = checkDynamoDbSettings(sources.options, 'aws.dynamodb', true);
  const envTable = nonEmpty(env.FMI_DYNAMODB_TABLE);
  const envEndpoint = nonEmpty(env.FMI_DYNAMODB_ENDPOINT);
  if (envTable !== undefined) checkString('dynamodb', envTable, 'FMI_DYNAMODB_TABLE', TABLE_PATTERN);
  if (envEndpoint !== undefined) checkEndpoint('dynamodb', envEndpoint, 'FMI_DYNAMODB_ENDPOINT');
  const present = sources.config !== undefined || sources.options !== undefined || envTable !== undefined || envEndpoint !== undefined;
  if (!present) return undefined;
  const [table, tableField] =
    fromOptions.table !== undefined
      ? [fromOptions.table, 'aws.dynamodb.table']
      : envTable !== undefined
        ? [envTable, 'FMI_DYNAMODB_TABLE']
        : [fromConfig.table, 'channels.dynamodb.table'];
  if (table === undefined) {
    throw configError(
      'dynamodb',
      'channels.dynamodb.table',
      'DynamoDB settings are present but name no table — set channels.dynamodb.table, FMI_DYNAMODB_TABLE or aws({ dynamodb: { table } })',
    );
  }
  const pollFirstDelayMs = fromOptions.pollFirstDelayMs ?? fromConfig.pollFirstDelayMs ?? 5;
  const pollMaxDelayMs = fromOptions.pollMaxDelayMs ?? fromConfig.pollMaxDelayMs ?? 100;
  if (pollMaxDelayMs < pollFirstDelayMs)
    throw configError('dynamodb', 'channels.dynamodb.pollMaxDelayMs', `must be at least pollFirstDelayMs (${pollFirstDelayMs})`);
  return {
    table,
    tableField,
    region: fromOptions.region ?? fromConfig.region ?? sources.region ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? 'us-east-1',
    endpoint: fromOptions.endpoint ?? envEndpoint ?? fromConfig.endpoint,
    createTable: fromOptions.createTable ?? fromConfig.createTable ?? false,
    ttlSeconds: fromOptions.ttlSeconds ?? fromConfig.ttlSeconds ?? 86_400,
    pollFirstDelayMs,
    pollMaxDelayMs,
    credentials: fromOptions.credentials ?? sources.credentials,
    model: fromOptions.model,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

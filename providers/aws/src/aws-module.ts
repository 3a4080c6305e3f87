import { type ContainerModule, fmiModule, type PriceBook } from '@fmi/core';
import { dynamoDbChannelProvider } from './dynamodb/dynamodb-provider.js';
import { checkDynamoDbSettings, type DynamoDbProgrammaticOptions } from './dynamodb/dynamodb-settings.js';
import { checkLambdaOptions, type LambdaPlatformOptions, lambdaPlatform } from './lambda/platform.js';
import { AWS_LAMBDA_PRICE_BOOK } from './model-defaults.js';
import { s3ChannelProvider } from './s3/s3-provider.js';
import { checkS3Settings, type S3ProgrammaticOptions } from './s3/s3-settings.js';
import { type AwsCredentialsOption, checkCredentials, checkObject, checkString, configError, describeValue, REGION_PATTERN } from './settings-check.js';

export interface AwsOptions {
  /** Region of every AWS client unless a section sets its own; default AWS_REGION, then us-east-1. */
  readonly region?: string;
  /** Credentials of every client; default the standard AWS chain. */
  readonly credentials?: AwsCredentialsOption;
  /** S3 channel settings, a bucket name, or `false` to never offer the channel (even when FMI_S3_* is set). */
  readonly s3?: S3ProgrammaticOptions | string | false;
  /** DynamoDB channel settings, a table name, or `false`. */
  readonly dynamodb?: DynamoDbProgrammaticOptions | string | false;
  /** The `aws-lambda` platform. */
  readonly lambda?: LambdaPlatformOptions;
  /** Overrides of the Lambda price book (config `model.functionPerGiBSecond` overrides again). */
  readonly priceBook?: Partial<PriceBook>;
}

const KEYS = ['region', 'credentials', 's3', 'dynamodb', 'lambda', 'priceBook'] as const;

/**
 * The AWS provider module: the `s3` and `dynamodb` channels, the `aws-lambda` platform and the AWS
 * price book. Options are checked here, strictly (unknown keys and bad values fail with `config`
 * naming the field); the channels merge them with `channels.s3` / `channels.dynamodb` from config
 * and FMI_S3_* / FMI_DYNAMODB_* from the environment when `connect()` builds them, and fail there,
 * before any rank talks, when a section is present without a bucket or table.
 */
export function aws(options: AwsOptions = {}): ContainerModule {
  const r = checkObject('aws', options, 'aws', KEYS);
  const region = checkString('aws', r.region, 'aws.region', REGION_PATTERN);
  const credentials = checkCredentials('aws', r.credentials, 'aws.credentials');
  const shared = { ...(region ? { region } : {}), ...(credentials ? { credentials } : {}) };
  const s3 = section(r.s3, 'aws.s3', 'bucket', (v) => checkS3Settings(v, 'aws.s3', true));
  const dynamodb = section(r.dynamodb, 'aws.dynamodb', 'table', (v) => checkDynamoDbSettings(v, 'aws.dynamodb', true));
  checkLambdaOptions(r.lambda, 'aws.lambda');
  const priceBook = checkPriceBook(r.priceBook);
  return fmiModule({
    channels: [...(s3 === false ? [] : [s3ChannelProvider(s3, shared)]), ...(dynamodb === false ? [] : [dynamoDbChannelProvider(dynamodb, shared)])],
    platforms: [lambdaPlatform(options.lambda, shared)],
    priceBook,
  });
}

function section<T>(value: unknown, _path: string, nameKey: string, check: (v: unknown) => T): T | false | undefined {
  if (value === undefined || value === false) return value;
  if (typeof value === 'string') return check({ [nameKey]: value });
  const checked = check(value);
  return checked;
}

function checkPriceBook(value: unknown): PriceBook {
  if (value === undefined) return AWS_LAMBDA_PRICE_BOOK;
  const r = checkObject('aws', value, 'aws.priceBook', ['name', 'functionPerGiBSecond', 'functionPerRequest']);
  for (const k of ['functionPerGiBSecond', 'functionPerRequest'] as const) {
    const v = r[k];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0))
      throw configError('aws', `aws.priceBook.${k}`, `expected a price >= 0 (US$), got ${describeValue(v)}`);
  }
  checkString('aws', r.name, 'aws.priceBook.name');
  return { ...AWS_LAMBDA_PRICE_BOOK, ...(r as Partial<PriceBook>) };
}

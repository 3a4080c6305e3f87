/**
 * `@fmi/aws`: the `s3` and `dynamodb` object channels, the `aws-lambda` platform, the Lambda
 * handler adapter and the AWS price book. The AWS SDKs are optional peer dependencies, imported
 * on first use.
 */
export { type AwsOptions, aws } from './aws-module.js';
export { DYNAMODB_ITEM_PAYLOAD_BYTES, DYNAMODB_MAX_OBJECT_BYTES, DynamoDbChannel } from './dynamodb/dynamodb-channel.js';
export { dynamoDbChannelProvider } from './dynamodb/dynamodb-provider.js';
export {
  type DynamoDbChannelSettings,
  type DynamoDbProgrammaticOptions,
  type ResolvedDynamoDbSettings,
  resolveDynamoDbSettings,
} from './dynamodb/dynamodb-settings.js';
export { createTableInput, TABLE_KEY, TTL_ATTRIBUTE } from './dynamodb/table-schema.js';
export { type FmiHandlerOptions, type FmiLambdaFunction, fmiHandler } from './lambda/handler.js';
export type { FmiInvocation, FmiPayload, FmiRankResult } from './lambda/payload.js';
export { type LambdaPlatformOptions, lambdaPlatform } from './lambda/platform.js';
export { AWS_LAMBDA_PRICE_BOOK, DYNAMODB_MODEL_DEFAULTS, DYNAMODB_READ_UNIT_PRICE, DYNAMODB_WRITE_UNIT_PRICE, S3_MODEL_DEFAULTS } from './model-defaults.js';
export { S3Channel, type S3ChannelOptions } from './s3/s3-channel.js';
export { s3ChannelProvider } from './s3/s3-provider.js';
export { type ResolvedS3Settings, resolveS3Settings, S3_MAX_OBJECT_BYTES, type S3ChannelSettings, type S3ProgrammaticOptions } from './s3/s3-settings.js';
export type { AwsCredentialsOption } from './settings-check.js';

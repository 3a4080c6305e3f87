import type { ChannelFactoryContext, ChannelProvider } from '@fmi/core';
import type { AwsCredentialsOption } from '../settings-check.js';
import { DynamoDbChannel } from './dynamodb-channel.js';
import { type DynamoDbProgrammaticOptions, resolveDynamoDbSettings } from './dynamodb-settings.js';

/**
 * The DynamoDB channel plugin: `channels.dynamodb` (config), FMI_DYNAMODB_* (env) and the
 * programmatic options, later winning; `undefined` when nothing mentions DynamoDB. No I/O.
 */
export function dynamoDbChannelProvider(
  options?: DynamoDbProgrammaticOptions,
  shared: { region?: string; credentials?: AwsCredentialsOption } = {},
): ChannelProvider {
  return {
    name: 'dynamodb',
    kind: 'object',
    create(ctx: ChannelFactoryContext): DynamoDbChannel | undefined {
      const settings = resolveDynamoDbSettings({
        options,
        config: ctx.config.channels?.dynamodb,
        env: ctx.env,
        region: shared.region,
        credentials: shared.credentials,
      });
      return settings ? new DynamoDbChannel(settings) : undefined;
    },
  };
}

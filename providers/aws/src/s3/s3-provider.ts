import type { ChannelFactoryContext, ChannelProvider } from '@fmi/core';
import type { AwsCredentialsOption } from '../settings-check.js';
import { S3Channel } from './s3-channel.js';
import { resolveS3Settings, type S3ProgrammaticOptions } from './s3-settings.js';

/**
 * The S3 channel plugin. `create` merges `channels.s3` (config), FMI_S3_* (env) and the
 * programmatic options, in that order, checks them strictly, and returns `undefined` when nothing
 * mentions S3. No I/O: `open()` checks the bucket.
 */
export function s3ChannelProvider(options?: S3ProgrammaticOptions, shared: { region?: string; credentials?: AwsCredentialsOption } = {}): ChannelProvider {
  return {
    name: 's3',
    kind: 'object',
    create(ctx: ChannelFactoryContext): S3Channel | undefined {
      const settings = resolveS3Settings({ options, config: ctx.config.channels?.s3, env: ctx.env, region: shared.region, credentials: shared.credentials });
      return settings ? new S3Channel(settings) : undefined;
    },
  };
}

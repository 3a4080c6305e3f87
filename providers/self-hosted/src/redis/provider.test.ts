import { type ChannelFactoryContext, effectiveModel, type FmiConfig, FmiError } from '@fmi/core';
import { describe, expect, it } from 'vitest';
import { redisChannelProvider } from './provider.js';
import { RedisChannel } from './redis-channel.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

function context(
  channels: Record<string, Record<string, unknown>> = {},
  env: Record<string, string | undefined> = {},
  model: FmiConfig['model'] = {},
): ChannelFactoryContext {
  const config: FmiConfig = { job: 'j', hint: 'cheap', channel: undefined, timeoutMs: 60_000, memoryMiB: 2048, logLevel: 'warn', channels, model };
  return { rank: 0, size: 2, job: 'j', secret: undefined, config, env, logger: silent, clock: { now: () => Date.now() } };
}

function configError(run: () => unknown): FmiError {
  try {
    run();
  } catch (error) {
    expect(FmiError.isKind(error, 'config'), String(error)).toBe(true);
    return error as FmiError;
  }
  throw new Error('expected a config error');
}

describe('redisChannelProvider', () => {
  it('names itself and offers nothing when no URL is known anywhere', () => {
    const provider = redisChannelProvider();
    expect(provider.name).toBe('redis');
    expect(provider.kind).toBe('object');
    expect(provider.create(context())).toBeUndefined();
    expect(provider.create(context({ redis: { ttlSeconds: 60 } }))).toBeUndefined();
  });

  it('creates a channel from config, FMI_REDIS_URL or options, options winning over env over config', () => {
    const fromConfig = redisChannelProvider().create(context({ redis: { url: 'redis://config:6379' } }));
    expect(fromConfig).toBeInstanceOf(RedisChannel);
    const fromEnv = redisChannelProvider().create(context({ redis: { url: 'redis://config:6379' } }, { FMI_REDIS_URL: 'redis://env:6379' }));
    expect(fromEnv).toBeInstanceOf(RedisChannel);
    // Which URL won shows in the field a later error names.
    const envBad = configError(() => redisChannelProvider().create(context({ redis: { url: 'redis://config:6379' } }, { FMI_REDIS_URL: 'nope' })));
    expect(envBad.field).toBe('FMI_REDIS_URL');
    expect(redisChannelProvider({ url: 'redis://options:6379' }).create(context({}, { FMI_REDIS_URL: 'redis://env:6379' }))).toBeInstanceOf(RedisChannel);
    // FMI_REDIS_URL is validated even when options override it: a bad value is a mistake either way.
    expect(configError(() => redisChannelProvider({ url: 'redis://options:6379' }).create(context({}, { FMI_REDIS_URL: 'nope://x' }))).field).toBe(
      'FMI_REDIS_URL',
    );
  });

  it('keeps its default model; core applies config overrides (a calibration profile) on top', () => {
    const ctx = context({}, {}, { channels: { redis: { latencyMs: 0.3 } } });
    const channel = redisChannelProvider({ url: 'redis://h:1' }).create(ctx);
    if (!channel) throw new Error('expected a channel');
    expect(channel.model.latencyMs).toBe(5.2);
    const effective = effectiveModel('redis', channel.model, ctx.config);
    expect(effective.latencyMs).toBe(0.3);
    expect(effective.pricePerHour).toBe(0.038);
  });

  it("rejects unknown keys and bad values with 'config' naming the field", () => {
    expect(configError(() => redisChannelProvider().create(context({ redis: { url: 'redis://h:1', host: 'x' } }))).field).toBe('channels.redis.host');
    expect(configError(() => redisChannelProvider().create(context({ redis: { url: 'http://h:1' } }))).field).toBe('channels.redis.url');
    expect(configError(() => redisChannelProvider().create(context({ redis: { url: 42 } }))).field).toBe('channels.redis.url');
    expect(configError(() => redisChannelProvider().create(context({ redis: { url: 'redis://h:1', ttlSeconds: 0 } }))).field).toBe('channels.redis.ttlSeconds');
    expect(configError(() => redisChannelProvider().create(context({ redis: { url: 'redis://h:1', ttlSeconds: 1.5 } }))).field).toBe(
      'channels.redis.ttlSeconds',
    );
    expect(configError(() => redisChannelProvider().create(context({ redis: { url: 'redis://h:1', keyPrefix: 7 } }))).field).toBe('channels.redis.keyPrefix');
    expect(configError(() => redisChannelProvider({ url: 'redis://h/notadb' }).create(context())).field).toBe('redis.url');
    const error = configError(() => redisChannelProvider().create(context({ redis: { url: 'redis://h:1', colour: 'blue' } })));
    expect(error.message).toMatch(/^\[fmi\] \[redis\] channels\.redis\.colour: unknown setting/);
  });

  it('never shows a password from the URL in an error', () => {
    const error = configError(() => redisChannelProvider().create(context({ redis: { url: 'redis://:hunter2@h:1/x' } })));
    expect(error.message).not.toMatch(/hunter2/);
  });
});

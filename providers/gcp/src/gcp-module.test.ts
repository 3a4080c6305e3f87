import { type ChannelProvider, connect, type FmiConfig, FmiError, type PlatformProvider, type PriceBook, TOKENS } from '@fmi/core';
import { channelFactoryContext, configErrorOf as configError } from '@fmi/core/testing';
import { Container } from 'inversify';
import { describe, expect, it } from 'vitest';
import { gcp } from './gcp-module.js';
import { GcsChannel } from './gcs/gcs-channel.js';
import { gcsChannelProvider } from './gcs/provider.js';
import { cloudFunctionsGen1PriceBook } from './model.js';

const context = (channels: Record<string, Record<string, unknown>> = {}, env: Record<string, string | undefined> = {}, model: FmiConfig['model'] = {}) =>
  channelFactoryContext({ channels, env, model });

async function bound(options: Parameters<typeof gcp>[0]) {
  const container = new Container();
  await container.load(gcp(options));
  return {
    channels: container.getAll<ChannelProvider>(TOKENS.ChannelProvider),
    platforms: container.getAll<PlatformProvider>(TOKENS.PlatformProvider),
    priceBook: container.get<PriceBook>(TOKENS.PriceBook),
  };
}

describe('gcp(options)', () => {
  it('binds the gcs channel, the gcp-functions platform and the Cloud Functions price book', async () => {
    const { channels, platforms, priceBook } = await bound({});
    expect(channels.map((c) => [c.name, c.kind])).toEqual([['gcs', 'object']]);
    expect(platforms.map((p) => p.name)).toEqual(['gcp-functions']);
    // 2 GiB gen1 = 2.4 GHz: $0.0000025/GB-s + 1.2 GHz per GiB × $0.00001/GHz-s; $0.40 per million calls.
    expect(priceBook.functionPerGiBSecond).toBeCloseTo(0.0000145, 12);
    expect(priceBook.functionPerRequest).toBeCloseTo(0.0000004, 12);
    expect(cloudFunctionsGen1PriceBook(256).functionPerGiBSecond).toBeCloseTo(0.0000025 + 1.6 * 0.00001, 12);
  });

  it("rejects unknown keys and bad values with 'config' naming the field", () => {
    expect(configError(() => gcp({ gsc: {} } as never)).field).toBe('gcp.gsc');
    expect(configError(() => gcp({ gcs: { bucket: 'ok-bucket', bukket: 'x' } as never })).field).toBe('gcp.gcs.bukket');
    expect(configError(() => gcp({ gcs: { bucket: 'Bad_Bucket' } })).field).toBe('gcp.gcs.bucket');
    expect(configError(() => gcp({ gcs: { bucket: 'ok-bucket', endpoint: 'ftp://x' } })).field).toBe('gcp.gcs.endpoint');
    expect(configError(() => gcp({ gcs: { bucket: 'ok-bucket', maxPollIntervalMs: 0 } })).field).toBe('gcp.gcs.maxPollIntervalMs');
    expect(configError(() => gcp({ gcs: { bucket: 'ok-bucket', prefix: '/abs' } })).field).toBe('gcp.gcs.prefix');
    expect(configError(() => gcp({ functions: { maxConcurrency: 0 } })).field).toBe('gcp.functions.maxConcurrency');
    expect(configError(() => gcp({ functions: { baseUrl: 'not a url' } })).field).toBe('gcp.functions.baseUrl');
    expect(configError(() => gcp({ functions: { timeout: 5 } as never })).field).toBe('gcp.functions.timeout');
    expect(configError(() => gcp({ functionMemoryMiB: 3000 })).field).toBe('gcp.functionMemoryMiB');
    expect(configError(() => gcp({ gcs: { bucket: 'ok-bucket', colour: 'x' } as never })).message).toMatch(
      /^\[fmi\] \[gcs\] gcp\.gcs\.colour: unknown setting/,
    );
  });
});

describe('gcsChannelProvider: where the settings come from', () => {
  it('offers nothing when no source mentions the channel, and creates it from config, FMI_GCS_BUCKET or options', () => {
    expect(gcsChannelProvider().create(context())).toBeUndefined();
    expect(gcsChannelProvider().create(context({ gcs: { bucket: 'from-config' } }))).toBeInstanceOf(GcsChannel);
    expect(gcsChannelProvider().create(context({}, { FMI_GCS_BUCKET: 'from-env' }))).toBeInstanceOf(GcsChannel);
    expect(gcsChannelProvider({ bucket: 'from-options' }).create(context())).toBeInstanceOf(GcsChannel);
    // The variable is checked even when options win: a bad value is a mistake either way.
    expect(configError(() => gcsChannelProvider({ bucket: 'from-options' }).create(context({}, { FMI_GCS_BUCKET: 'Bad Bucket' }))).field).toBe(
      'FMI_GCS_BUCKET',
    );
  });

  it("fails with 'config' when the section is present but no bucket is known", () => {
    expect(configError(() => gcsChannelProvider().create(context({ gcs: { prefix: 'x/' } }))).field).toBe('channels.gcs.bucket');
    expect(configError(() => gcsChannelProvider({}).create(context())).field).toBe('gcp.gcs.bucket');
    expect(configError(() => gcsChannelProvider().create(context({ gcs: { bucket: 'ok-bucket', region: 'eu' } }))).field).toBe('channels.gcs.region');
    expect(configError(() => gcsChannelProvider().create(context({}, { FMI_GCS_BUCKET: 'ok-bucket', STORAGE_EMULATOR_HOST: 'localhost:9199' }))).field).toBe(
      'STORAGE_EMULATOR_HOST',
    );
  });

  it('applies model overrides from config and keeps the default prices it does not override', () => {
    const channel = gcsChannelProvider({ bucket: 'b-b-b' }).create(
      context({}, {}, { channels: { gcs: { latencyMs: 12, pricePerRequest: { get: 0.000001 } } } }),
    );
    expect(channel?.model.latencyMs).toBe(12);
    expect(channel?.model.pricePerRequest).toMatchObject({ get: 0.000001, put: 0.000005 });
  });

  it("connect() with gcp() and a channels.gcs section without a bucket fails with 'config' before any I/O", async () => {
    const error = await connect({ rank: 0, size: 1, job: 'cfg', modules: [gcp()], config: { channels: { gcs: { prefix: 'p/' } } }, env: {} }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(FmiError.isKind(error, 'config')).toBe(true);
    expect((error as FmiError).field).toBe('channels.gcs.bucket');
  });
});

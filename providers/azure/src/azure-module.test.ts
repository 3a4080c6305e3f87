import { type ChannelProvider, connect, FmiError, type PlatformProvider, type PriceBook, TOKENS } from '@fmi/core';
import { channelFactoryContext, configErrorOf as configError } from '@fmi/core/testing';
import { Container } from 'inversify';
import { describe, expect, it } from 'vitest';
import { azure } from './azure-module.js';
import { AzureBlobChannel } from './blob/blob-channel.js';
import { azureBlobChannelProvider } from './blob/provider.js';

const KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const CONN = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${KEY};BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;`;

const context = (channels: Record<string, Record<string, unknown>> = {}, env: Record<string, string | undefined> = {}) =>
  channelFactoryContext({ channels, env });

describe('azure(options)', () => {
  it('binds the azure-blob channel, the azure-functions platform and the Consumption price book', async () => {
    const container = new Container();
    await container.load(azure());
    expect(container.getAll<ChannelProvider>(TOKENS.ChannelProvider).map((c) => [c.name, c.kind])).toEqual([['azure-blob', 'object']]);
    expect(container.getAll<PlatformProvider>(TOKENS.PlatformProvider).map((p) => p.name)).toEqual(['azure-functions']);
    expect(container.get<PriceBook>(TOKENS.PriceBook)).toMatchObject({ functionPerGiBSecond: 0.000016, functionPerRequest: 0.0000002 });
  });

  it("rejects unknown keys and bad values with 'config' naming the field, never echoing a connection string", () => {
    expect(configError(() => azure({ blobs: {} } as never)).field).toBe('azure.blobs');
    expect(configError(() => azure({ blob: { container: 'ok-container', acount: 'x' } as never })).field).toBe('azure.blob.acount');
    expect(configError(() => azure({ blob: { container: 'Bad--Name' } })).field).toBe('azure.blob.container');
    expect(configError(() => azure({ blob: { container: 'ok-container', maxPollIntervalMs: -1 } })).field).toBe('azure.blob.maxPollIntervalMs');
    expect(configError(() => azure({ functions: { maxAttempts: 0 } })).field).toBe('azure.functions.maxAttempts');
    expect(configError(() => azure({ functions: { headers: { 'x-functions-key': 42 } } as never })).field).toBe('azure.functions.headers.x-functions-key');
    const secret = configError(() => azure({ blob: { container: 'ok-container', connectionString: 'AccountName=a;NoKeyHere=hunter2' } }));
    expect(secret.field).toBe('azure.blob.connectionString');
    expect(secret.message).not.toMatch(/hunter2/);
  });
});

describe('azureBlobChannelProvider: where the settings come from', () => {
  it('offers nothing when nothing mentions it; creates it from config/env/options', () => {
    expect(azureBlobChannelProvider().create(context())).toBeUndefined();
    expect(
      azureBlobChannelProvider().create(context({ 'azure-blob': { container: 'from-config' } }, { AZURE_STORAGE_CONNECTION_STRING: CONN })),
    ).toBeInstanceOf(AzureBlobChannel);
    expect(azureBlobChannelProvider().create(context({}, { FMI_AZURE_CONTAINER: 'from-env', AZURE_STORAGE_CONNECTION_STRING: CONN }))).toBeInstanceOf(
      AzureBlobChannel,
    );
    expect(azureBlobChannelProvider({ container: 'from-options', connectionString: CONN }).create(context())).toBeInstanceOf(AzureBlobChannel);
  });

  it("fails with 'config' when a source is present but the container or the account is missing, or a secret sits in the config file", () => {
    expect(
      configError(() => azureBlobChannelProvider().create(context({ 'azure-blob': { prefix: 'x/' } }, { AZURE_STORAGE_CONNECTION_STRING: CONN }))).field,
    ).toBe('channels.azure-blob.container');
    expect(configError(() => azureBlobChannelProvider().create(context({}, { FMI_AZURE_CONTAINER: 'no-account' }))).field).toBe(
      'AZURE_STORAGE_CONNECTION_STRING',
    );
    expect(configError(() => azureBlobChannelProvider().create(context({ 'azure-blob': { container: 'c-c-c', connectionString: CONN } }))).field).toBe(
      'channels.azure-blob.connectionString',
    );
    expect(
      configError(() => azureBlobChannelProvider().create(context({}, { FMI_AZURE_CONTAINER: 'UPPER', AZURE_STORAGE_CONNECTION_STRING: CONN }))).field,
    ).toBe('FMI_AZURE_CONTAINER');
  });

  it("connect() with azure() and a channels.azure-blob section without a container fails with 'config'", async () => {
    const error = await connect({ rank: 0, size: 1, job: 'cfg', modules: [azure()], config: { channels: { 'azure-blob': { prefix: 'p/' } } }, env: {} }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(FmiError.isKind(error, 'config')).toBe(true);
    expect((error as FmiError).field).toBe('channels.azure-blob.container');
  });
});

import { connect, FmiError } from '@fmi/core';
import { describe, expect, it } from 'vitest';
import { providerModules } from './provider-modules.js';

describe('providerModules', () => {
  it('loads only the self-hosted module when no cloud channel is configured', async () => {
    expect(await providerModules({ env: {} })).toHaveLength(1);
  });

  it('adds a cloud provider whose channel the environment configures', async () => {
    // @fmi/aws and @fmi/gcp exist in this workspace (their factories validate lazily, without an SDK).
    expect(await providerModules({ env: { FMI_S3_BUCKET: 'scratch' } })).toHaveLength(2);
    expect(await providerModules({ env: { FMI_GCS_BUCKET: 'scratch', FMI_DYNAMODB_TABLE: 'fmi' } })).toHaveLength(3);
  });

  it('offers no channel whose settings are absent, so connect names what to set', async () => {
    const attempt = connect({ rank: 0, size: 1, job: 'no-settings', env: {}, modules: await providerModules({ env: {} }) });
    await expect(attempt).rejects.toSatisfy((err: unknown) => FmiError.isKind(err, 'config') && /no channel is available/.test((err as Error).message));
  });

  it('fails on a broken FMI_CONFIG instead of guessing', async () => {
    await expect(providerModules({ env: { FMI_CONFIG: '/nonexistent/fmi.json' } })).rejects.toSatisfy((err: unknown) => FmiError.isKind(err, 'config'));
  });
});

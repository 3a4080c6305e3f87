import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { FmiError } from '@fmi/core';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FunctionsFrameworkHandle, startFunctionsFramework } from '../../../../tools/src/functions-framework-server.js';
import { type GcsEmulatorHandle, startGcsEmulator } from '../../../../tools/src/gcs-emulator.js';
import { cloudFunctionsPlatform } from './platform.js';

/**
 * End to end on real parts: the fixture function (rank-function.fixture.ts, written against
 * fmiHttpFunction) served by the real Functions Framework CLI, ranks launched through the
 * gcp-functions platform over HTTP, objects in the GCS emulator of firebase-tools.
 */
const BUCKET = 'fmi-gcf-e2e';
let emulator: GcsEmulatorHandle;
let server: FunctionsFrameworkHandle;
let admin: Storage;

beforeAll(async () => {
  process.env.METADATA_SERVER_DETECTION = 'none';
  emulator = await startGcsEmulator({ projectId: 'fmi-gcf' });
  admin = new Storage({ projectId: emulator.projectId, apiEndpoint: emulator.url, retryOptions: { autoRetry: false } });
  server = await startFunctionsFramework({
    entry: fileURLToPath(new URL('./rank-function.fixture.ts', import.meta.url)),
    target: 'fmi-rank',
    // The function's deployed configuration: the emulator stands in for Cloud Storage.
    env: { STORAGE_EMULATOR_HOST: emulator.url, GOOGLE_CLOUD_PROJECT: emulator.projectId, METADATA_SERVER_DETECTION: 'none' },
  });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await emulator?.stop();
});

async function objectsOf(job: string): Promise<string[]> {
  const [files] = await admin.bucket(BUCKET).getFiles({ prefix: `fmi/${job}/` });
  return files.map((f) => f.name);
}

describe('Cloud Functions: fmiHttpFunction under the Functions Framework, launched by gcp-functions', () => {
  it('a job of 4 ranks completes over the gcs channel, every rank returns the collective results, and no object is left', async () => {
    const job = `gcf-${randomUUID().slice(0, 8)}`;
    const platform = cloudFunctionsPlatform({ baseUrl: server.url, maxConcurrency: 8, timeoutMs: 60_000, input: (rank) => ({ weight: 10 * (rank + 1) }) });
    expect(platform.name).toBe('gcp-functions');
    const events: string[] = [];
    const result = await platform.launch({
      job,
      size: 4,
      entry: 'fmi-rank',
      args: [],
      env: { FMI_GCS_BUCKET: BUCKET, FMI_TIMEOUT_MS: '30000', FMI_LOG_LEVEL: 'warn' },
      onRankEvent: (rank, event) => events.push(`${rank}:${event}`),
    });
    expect(result.firstFailure).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.ranks.map((r) => [r.rank, r.ok, r.result])).toEqual(
      [0, 1, 2, 3].map((rank) => [rank, true, { sum: [100, 4], fromRoot: [7, 11, 13], ranks: ['rank-0', 'rank-1', 'rank-2', 'rank-3'], channels: ['gcs'] }]),
    );
    expect(events.filter((e) => e.endsWith(':started')).sort()).toEqual(['0:started', '1:started', '2:started', '3:started']);
    expect(events.filter((e) => e.endsWith(':exited')).sort()).toEqual(['0:exited', '1:exited', '2:exited', '3:exited']);
    expect(await objectsOf(job)).toEqual([]);
  }, 120_000);

  it('a rank whose connect fails reports its error (kind and message) through the platform instead of hanging', async () => {
    const platform = cloudFunctionsPlatform({ baseUrl: server.url, timeoutMs: 30_000, input: () => ({ weight: 1 }) });
    // A bucket name that no Cloud Storage accepts: connect() fails on every rank with a config error naming the variable.
    const result = await platform.launch({
      job: `gcf-bad-${randomUUID().slice(0, 8)}`,
      size: 2,
      entry: 'fmi-rank',
      args: [],
      env: { FMI_GCS_BUCKET: 'Not_A_Bucket' },
    });
    expect(result.ok).toBe(false);
    expect(result.ranks.map((r) => [r.ok, r.error?.kind])).toEqual([
      [false, 'config'],
      [false, 'config'],
    ]);
    expect(result.firstFailure?.error?.message).toMatch(/FMI_GCS_BUCKET/);
  }, 60_000);

  it('answers 400 with invalid-argument for a malformed invocation and 405 for GET, without running a rank', async () => {
    const bad = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rank: 3, size: 2, job: 'x' }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ ok: false, error: { kind: 'invalid-argument' } });
    const smuggled = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rank: 0, size: 1, job: 'x', env: { STORAGE_EMULATOR_HOST: 'http://evil.example' } }),
    });
    expect(smuggled.status).toBe(400);
    expect(((await smuggled.json()) as { error: { message: string } }).error.message).toMatch(/env\.STORAGE_EMULATOR_HOST/);
    const get = await fetch(server.url);
    expect(get.status).toBe(405);
  });

  it('a job larger than maxConcurrency fails at once with config naming the option, before any request', async () => {
    const platform = cloudFunctionsPlatform({ baseUrl: server.url, maxConcurrency: 3 });
    const error = await platform.launch({ job: 'too-big', size: 4, entry: 'fmi-rank', args: [], env: {} }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(FmiError.isKind(error, 'config')).toBe(true);
    expect((error as FmiError).field).toBe('gcp.functions.maxConcurrency');
  });
});

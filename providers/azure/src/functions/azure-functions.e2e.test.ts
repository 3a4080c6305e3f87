import { randomUUID } from 'node:crypto';
import type { HttpHandler } from '@azure/functions';
// @azure/functions is CommonJS: Node's ESM loader gives a default export only.
import functionsPackage from '@azure/functions';
import { BlobServiceClient } from '@azure/storage-blob';
import { FmiError } from '@fmi/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AzureFunctionsHostHandle, startAzureFunctionsHost } from '../../../../tools/src/azure-functions-host.js';
import { type AzuriteHandle, startAzurite } from '../../../../tools/src/azurite-server.js';
import { fmiAzureHandler } from './handler.js';
import { azureFunctionsPlatform } from './platform.js';

const { HttpRequest, InvocationContext } = functionsPackage;

/**
 * The Azure Functions adapter with real `@azure/functions` v4 request/context objects, and the
 * azure-functions platform launching ranks against a local HTTP host of the adapter, with the
 * azure-blob channel on azurite. The handler takes its settings the way a deployed app does:
 * AZURE_STORAGE_CONNECTION_STRING from the app's environment, FMI_AZURE_CONTAINER from the invocation.
 */
const CONTAINER = 'fmi-func-e2e';
let azurite: AzuriteHandle;
let host: AzureFunctionsHostHandle;
let service: BlobServiceClient;

interface Input {
  readonly weight: number;
}

const rankHandler = fmiAzureHandler<Input, unknown>(async (comm, input, context) => {
  const sum = await comm.allreduce(new Float64Array([input.weight, 1]), 'sum');
  const fromRoot = await comm.bcast(new Int32Array(comm.rank === 0 ? [7, 11, 13] : [0, 0, 0]), 0);
  await comm.barrier();
  const ranks = await comm.allgatherValues(`rank-${comm.rank}`);
  const channels = Object.keys(comm.stats().channels).filter((name) => comm.stats().channels[name]!.calls > 0);
  return { sum: Array.from(sum), fromRoot: Array.from(fromRoot), ranks, channels, functionName: context.functionName };
});

// The adapter's result is what app.http(name, { handler }) takes: checked by the compiler here.
const registered: HttpHandler = rankHandler;

beforeAll(async () => {
  azurite = await startAzurite();
  service = BlobServiceClient.fromConnectionString(azurite.connectionString);
  await service.getContainerClient(CONTAINER).create();
  process.env.AZURE_STORAGE_CONNECTION_STRING = azurite.connectionString;
  host = await startAzureFunctionsHost({
    functions: {
      'fmi-rank': registered,
      'fmi-throws': fmiAzureHandler(async (comm) => {
        if (comm.rank === 1) throw new FmiError('invalid-argument', 'rank 1 refuses', { field: 'input' });
        return 'fine';
      }),
    },
    throttleFirst: 2,
  });
}, 60_000);

afterAll(async () => {
  await host?.stop();
  await azurite?.stop();
  delete process.env.AZURE_STORAGE_CONNECTION_STRING;
});

async function blobsOf(job: string): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of service.getContainerClient(CONTAINER).listBlobsFlat({ prefix: `fmi/${job}/` })) names.push(blob.name);
  return names;
}

function request(body: unknown, method = 'POST') {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return new HttpRequest({
    method,
    url: 'http://localhost/api/fmi-rank',
    headers: { 'content-type': 'application/json' },
    ...(method === 'GET' ? {} : { body: { string: text } }),
  });
}

function context() {
  const logged: string[] = [];
  const ctx = new InvocationContext({
    invocationId: randomUUID(),
    functionName: 'fmi-rank',
    logHandler: (level, ...args) => logged.push(`${level}: ${args.join(' ')}`),
  });
  return { ctx, logged };
}

describe('fmiAzureHandler with real @azure/functions HttpRequest and InvocationContext', () => {
  it('a one-rank job runs and answers 200 { ok, rank, result } with the context passed through', async () => {
    const job = `az1-${randomUUID().slice(0, 8)}`;
    const { ctx } = context();
    const answer = await rankHandler(request({ rank: 0, size: 1, job, env: { FMI_AZURE_CONTAINER: CONTAINER }, input: { weight: 5 } }), ctx);
    expect(answer).toEqual({
      status: 200,
      jsonBody: { ok: true, rank: 0, result: { sum: [5, 1], fromRoot: [7, 11, 13], ranks: ['rank-0'], channels: ['azure-blob'], functionName: 'fmi-rank' } },
    });
    expect(await blobsOf(job)).toEqual([]);
  });

  it('answers 400 invalid-argument for malformed bodies and smuggled variables, 405 for GET', async () => {
    const cases = [
      request('not json'),
      request({ rank: 2, size: 2, job: 'x' }),
      request({ rank: 0, size: 1, job: 'x', extra: 1 }),
      request({ rank: 0, size: 1, job: 'x', env: { AZURE_STORAGE_CONNECTION_STRING: 'x' } }),
    ];
    const answers = await Promise.all(cases.map((r) => rankHandler(r, context().ctx)));
    expect(answers.map((a) => [a.status, a.jsonBody.ok, a.jsonBody.error?.kind])).toEqual(cases.map(() => [400, false, 'invalid-argument']));
    expect(answers[1]!.jsonBody.error?.message).toMatch(/rank/);
    expect(answers[3]!.jsonBody.error?.message).toMatch(/env\.AZURE_STORAGE_CONNECTION_STRING/);
    expect((await rankHandler(request(undefined, 'GET'), context().ctx)).status).toBe(405);
  });

  it('a missing container fails connect with config naming the setting, answered as 500 and logged on the context', async () => {
    const { ctx, logged } = context();
    const answer = await rankHandler(
      request({ rank: 0, size: 1, job: `az-missing-${randomUUID().slice(0, 8)}`, env: { FMI_AZURE_CONTAINER: 'no-such-container' }, input: { weight: 1 } }),
      ctx,
    );
    expect(answer.status).toBe(500);
    expect(answer.jsonBody.error?.kind).toBe('config');
    expect(answer.jsonBody.error?.message).toMatch(/FMI_AZURE_CONTAINER.*not found/);
    expect(logged.some((line) => line.startsWith('error:') && line.includes('no-such-container'))).toBe(true);
  });
});

describe('azure-functions platform against a local HTTP host of the adapter', () => {
  it('launches 4 ranks (the host throttles the first 2 requests with 429; they are retried) and every rank completes over azure-blob', async () => {
    const job = `az4-${randomUUID().slice(0, 8)}`;
    const platform = azureFunctionsPlatform({ baseUrl: host.baseUrl, maxConcurrency: 4, timeoutMs: 60_000, input: (rank) => ({ weight: 10 * (rank + 1) }) });
    expect(platform.name).toBe('azure-functions');
    const before = host.invocations();
    const result = await platform.launch({ job, size: 4, entry: 'fmi-rank', args: [], env: { FMI_AZURE_CONTAINER: CONTAINER, FMI_TIMEOUT_MS: '30000' } });
    expect(result.firstFailure).toBeUndefined();
    expect(result.ranks.map((r) => [r.rank, r.ok, r.result])).toEqual(
      [0, 1, 2, 3].map((rank) => [
        rank,
        true,
        { sum: [100, 4], fromRoot: [7, 11, 13], ranks: ['rank-0', 'rank-1', 'rank-2', 'rank-3'], channels: ['azure-blob'], functionName: 'fmi-rank' },
      ]),
    );
    expect(host.throttled()).toBe(2);
    expect(host.invocations() - before).toBe(4);
    expect(await blobsOf(job)).toEqual([]);
  }, 120_000);

  it("a rank whose handler throws is reported with its kind; the platform's result is not ok and names it first", async () => {
    const platform = azureFunctionsPlatform({ baseUrl: host.baseUrl, timeoutMs: 60_000 });
    const result = await platform.launch({
      job: `azx-${randomUUID().slice(0, 8)}`,
      size: 2,
      entry: 'fmi-throws',
      args: [],
      env: { FMI_AZURE_CONTAINER: CONTAINER, FMI_TIMEOUT_MS: '5000' },
    });
    expect(result.ok).toBe(false);
    expect(result.ranks.map((r) => [r.rank, r.ok, r.ok ? r.result : r.error?.kind])).toEqual([
      [0, true, 'fine'],
      [1, false, 'invalid-argument'],
    ]);
    expect(result.firstFailure?.rank).toBe(1);
  }, 60_000);

  it('an unknown function (404 without an FMI answer) fails the rank with protocol, not a retry loop', async () => {
    const platform = azureFunctionsPlatform({ baseUrl: host.baseUrl, timeoutMs: 10_000 });
    const result = await platform.launch({ job: 'az404', size: 1, entry: 'no-such-function', args: [], env: {} });
    expect(result.ranks[0]).toMatchObject({ ok: false, error: { kind: 'protocol' } });
    expect(result.ranks[0]!.error?.message).toMatch(/404/);
  });

  it('a job larger than maxConcurrency fails at once with config naming the option', async () => {
    const error = await azureFunctionsPlatform({ baseUrl: host.baseUrl, maxConcurrency: 2 })
      .launch({ job: 'too-big', size: 3, entry: 'fmi-rank', args: [], env: {} })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(FmiError.isKind(error, 'config')).toBe(true);
    expect((error as FmiError).field).toBe('azure.functions.maxConcurrency');
  });
});

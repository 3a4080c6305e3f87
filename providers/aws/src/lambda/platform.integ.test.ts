import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { startAwsTestServers } from '@fmi/tools/aws-test-servers';
import { startLambdaInvokeEndpoint } from '@fmi/tools/lambda-invoke-endpoint';
import { afterAll, describe, expect, it } from 'vitest';
import { lambdaPlatform } from './platform.js';

/**
 * The aws-lambda platform through the real @aws-sdk/client-lambda, against a local endpoint that
 * implements the Invoke API and runs each invocation in its own Node process. The function
 * (fixtures/rank-handler.mjs) imports the built @fmi/aws, as a deployed bundle would.
 */
const built = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
if (!existsSync(built)) throw new Error(`[fmi] ${built} is missing — run \`npm run build\` first (the Lambda processes run the built package)`);

const fixture = fileURLToPath(new URL('./fixtures/rank-handler.mjs', import.meta.url));
const servers = await startAwsTestServers({ buckets: ['fmi-lambda'] });
const { s3rver, s3Admin: admin } = servers;
// Credentials reach the function through its environment: the standard AWS chain, as on Lambda.
const functionEnv = servers.credentialsEnv;
const functions = {
  'fmi-rank': { module: fixture, timeoutMs: 20_000, env: functionEnv },
  'fmi-crash': { module: fixture, export: 'crash', env: functionEnv },
};
const endpoint = await startLambdaInvokeEndpoint({ functions });
const throttling = await startLambdaInvokeEndpoint({ functions, throttleFirst: 3 });
afterAll(async () => {
  await Promise.all([endpoint.stop(), throttling.stop(), servers.stop()]);
});

const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const jobEnv = { FMI_S3_BUCKET: 'fmi-lambda', FMI_S3_ENDPOINT: s3rver.endpoint, FMI_TIMEOUT_MS: '15000' };

describe('aws-lambda platform against a local Invoke API', () => {
  it('invokes 4 ranks at once, gathers each result, and the job leaves nothing in the bucket', async () => {
    const job = `l-${randomUUID()}`;
    const output: string[] = [];
    const events: string[] = [];
    const platform = lambdaPlatform({ endpoint: endpoint.endpoint, credentials: localCredentials });
    const result = await platform.launch({
      job,
      size: 4,
      entry: 'fmi-rank',
      args: ['--epochs', '3'],
      env: jobEnv,
      onOutput: (rank, _stream, line) => output.push(`${rank}: ${line}`),
      onRankEvent: (rank, event) => events.push(`${rank} ${event}`),
    });
    expect(result.ranks.map((r) => [r.rank, r.ok, r.result ?? r.error])).toEqual(
      [0, 1, 2, 3].map((rank) => [rank, true, { sum: 10, ranks: [0, 1, 2, 3], args: ['--epochs', '3'] }]),
    );
    expect(result.ok).toBe(true);
    expect(endpoint.stats().maxInFlight).toBe(4);
    expect(output.some((l) => l.startsWith('2: ') && l.includes('rank 2 of 4: sum 10'))).toBe(true);
    expect(events.filter((e) => e.endsWith('exited')).length).toBe(4);
    const left = await admin.send(new ListObjectsV2Command({ Bucket: 'fmi-lambda', Prefix: `fmi/${job}/` }));
    expect(left.KeyCount ?? 0).toBe(0);
  });

  it('retries invocations answered 429 (throttled) with backoff, and every rank still runs once', async () => {
    const job = `l-${randomUUID()}`;
    const before = throttling.stats();
    const platform = lambdaPlatform({ endpoint: throttling.endpoint, credentials: localCredentials });
    const result = await platform.launch({ job, size: 3, entry: 'fmi-rank', args: [], env: jobEnv });
    expect(result.ranks.map((r) => [r.rank, r.ok, (r.result as { sum?: number } | undefined)?.sum])).toEqual([
      [0, true, 6],
      [1, true, 6],
      [2, true, 6],
    ]);
    const after = throttling.stats();
    expect(after.throttled - before.throttled).toBe(3);
    expect(after.invocations - before.invocations).toBe(3);
  });

  it('reports a rank that fails and a function that crashes per rank, with their messages', async () => {
    const platform = lambdaPlatform({ endpoint: endpoint.endpoint, credentials: localCredentials });
    const failing = await platform.launch({ job: `l-${randomUUID()}`, size: 1, entry: 'fmi-rank', args: [], env: jobEnv });
    expect(failing.ok).toBe(true);
    const crash = await platform.launch({ job: `l-${randomUUID()}`, size: 2, entry: 'fmi-crash', args: [], env: jobEnv });
    expect(crash.ok).toBe(false);
    expect(crash.ranks.map((r) => [r.ok, r.error?.kind])).toEqual([
      [false, 'function-error'],
      [false, 'function-error'],
    ]);
    expect(crash.firstFailure?.error?.message).toContain('TypeError: crashed on purpose');
    const missing = await platform.launch({ job: `l-${randomUUID()}`, size: 1, entry: 'no-such-function', args: [], env: jobEnv });
    expect(missing.ranks[0]?.error?.kind).toBe('config');
    expect(missing.ranks[0]?.error?.message).toContain('ResourceNotFoundException');
  });
});

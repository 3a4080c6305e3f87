import { randomUUID } from 'node:crypto';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { startAwsTestServers } from '@fmi/tools/aws-test-servers';
import type { Context } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { aws } from '../aws-module.js';
import { fmiHandler } from './handler.js';
import type { FmiPayload, FmiRankResult } from './payload.js';

const servers = await startAwsTestServers({ buckets: ['fmi-handler'] });
const { s3rver, s3Admin: admin } = servers;
afterAll(() => servers.stop());

async function leftovers(job: string): Promise<string[]> {
  const out = await admin.send(new ListObjectsV2Command({ Bucket: 'fmi-handler', Prefix: `fmi/${job}/` }));
  return (out.Contents ?? []).map((o) => o.Key as string);
}

/** A Lambda context as the Node.js runtime passes it, with the time left counting down from `timeoutMs`. */
function lambdaContext(timeoutMs: number, memoryMiB = 1024): Context {
  const deadline = Date.now() + timeoutMs;
  const requestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'fmi-rank',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:fmi-rank',
    memoryLimitInMB: String(memoryMiB),
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/fmi-rank',
    logStreamName: `2024/01/01/[$LATEST]${requestId.replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

const env = { FMI_S3_BUCKET: 'fmi-handler', FMI_S3_ENDPOINT: s3rver.endpoint };
const modules = () => [aws({ credentials: s3rver.credentials })];
const payload = <I = unknown>(rank: number, size: number, job: string, input?: I): FmiPayload<I> => ({ fmi: { rank, size, job, env }, input });

describe('fmiHandler with Lambda event and context shapes', () => {
  it('runs a collective on every rank and returns { ok, rank, result }; nothing is left in the bucket', async () => {
    const job = `h-${randomUUID()}`;
    const handler = fmiHandler<{ scale: number }, number>(
      async (comm, input, context) => {
        expect(context.functionName).toBe('fmi-rank');
        const [sum] = await comm.allreduce(new Float64Array([comm.rank * input.scale]), 'sum');
        return sum;
      },
      { modules },
    );
    const results = await Promise.all([0, 1, 2].map((rank) => handler(payload(rank, 3, job, { scale: 10 }), lambdaContext(20_000))));
    expect(results).toEqual([0, 1, 2].map((rank) => ({ ok: true, rank, result: 30 })));
    expect(await leftovers(job)).toEqual([]);
  });

  it("a deadline that expires mid-collective gives a clear 'timeout' on every rank, and close() still cleans up", async () => {
    const job = `h-${randomUUID()}`;
    const handler = fmiHandler(
      async (comm) => {
        // Rank 2 is slow: it starts the allreduce only after its invocation has run out of time.
        if (comm.rank === 2) await new Promise((r) => setTimeout(r, 4_000));
        await comm.bcast(new Float64Array(1000).fill(comm.rank), 0);
        await comm.allreduce(new Float64Array([1]), 'sum');
        return 'finished';
      },
      { modules, safetyMarginMs: 300, closeReserveMs: 1_000 },
    );
    const t0 = Date.now();
    const results = await Promise.all([0, 1, 2].map((rank) => handler(payload(rank, 3, job), lambdaContext(3_000))));
    const elapsed = Date.now() - t0;
    expect(results.map((r) => [r.rank, r.ok, r.ok ? undefined : r.error.kind])).toEqual([
      [0, false, 'timeout'],
      [1, false, 'timeout'],
      [2, false, 'timeout'],
    ]);
    for (const r of results as Array<Extract<FmiRankResult, { ok: false }>>)
      expect(r.error.message).toMatch(/^\[fmi\] .*timed out|did not finish before the Lambda deadline/);
    // Every rank answered before its Lambda would have been killed (3 s).
    expect(elapsed).toBeLessThan(3_000);
    expect(await leftovers(job)).toEqual([]);
  });

  it('a payload without fmi.rank is a config error naming the field, not a crash', async () => {
    const handler = fmiHandler(async () => 'never', { modules });
    const result = await handler({ fmi: { size: 2, job: 'x' } } as never, lambdaContext(5_000));
    expect(result).toMatchObject({ ok: false, rank: -1, error: { kind: 'config' } });
    expect(!result.ok && result.error.message).toContain('fmi.rank');
  });

  it('a function that throws gives ok: false with its message, after closing the communicator', async () => {
    const job = `h-${randomUUID()}`;
    const handler = fmiHandler(
      async (comm) => {
        await comm.barrier();
        throw new RangeError('bad input');
      },
      { modules },
    );
    const results = await Promise.all([0, 1].map((rank) => handler(payload(rank, 2, job), lambdaContext(10_000))));
    expect(results).toEqual([0, 1].map((rank) => ({ ok: false, rank, error: { kind: 'error', message: 'RangeError: bad input' } })));
    expect(await leftovers(job)).toEqual([]);
  });

  it('a secret reference to a missing environment variable fails with config', async () => {
    const handler = fmiHandler(async () => 'never', { modules });
    const result = await handler({ fmi: { rank: 0, size: 1, job: 'j', env, secretRef: 'env:FMI_NO_SUCH_SECRET' } }, lambdaContext(5_000));
    expect(result).toMatchObject({ ok: false, rank: 0, error: { kind: 'config' } });
  });
});

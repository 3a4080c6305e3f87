import { connect, FmiError } from '@fmi/core';
import { describe, expect, it } from 'vitest';
import { aws } from './aws-module.js';
import { lambdaPlatform } from './lambda/platform.js';

/** The error a call fails with (or undefined). */
function errorOf(fn: () => unknown): FmiError | undefined {
  try {
    fn();
  } catch (error) {
    if (FmiError.is(error)) return error;
    throw error;
  }
  return undefined;
}

async function connectError(options: Parameters<typeof connect>[0]): Promise<FmiError | undefined> {
  try {
    const comm = await connect(options);
    await comm.close();
  } catch (error) {
    if (FmiError.is(error)) return error;
    throw error;
  }
  return undefined;
}

describe('aws(options): checked inside the factory', () => {
  it.each([
    [{ s3: { bucket: 'b-1', bukcet: 'x' } }, 'aws.s3.bukcet'],
    [{ dynamodb: { table: 'tab', ttl: 5 } }, 'aws.dynamodb.ttl'],
    [{ lambda: { functionName: 'f', concurency: 3 } }, 'aws.lambda.concurency'],
    [{ regoin: 'us-east-1' }, 'aws.regoin'],
    [{ region: 'mars' }, 'aws.region'],
    [{ s3: { bucket: 'UPPER' } }, 'aws.s3.bucket'],
    [{ s3: { bucket: 'ok-bucket', endpoint: 'ftp://x' } }, 'aws.s3.endpoint'],
    [{ s3: { bucket: 'ok-bucket', partSizeBytes: 1024 } }, 'aws.s3.partSizeBytes'],
    [{ dynamodb: { table: 'tab', ttlSeconds: 1.5 } }, 'aws.dynamodb.ttlSeconds'],
    [{ dynamodb: { table: 'tab', createTable: 'yes' } }, 'aws.dynamodb.createTable'],
    [{ credentials: { accessKeyId: 'only' } }, 'aws.credentials'],
    [{ priceBook: { functionPerGiBSecond: -1 } }, 'aws.priceBook.functionPerGiBSecond'],
    [{ lambda: { concurrency: 0 } }, 'aws.lambda.concurrency'],
  ])('%j fails with config naming %s', (options, field) => {
    const error = errorOf(() => aws(options as never));
    expect([error?.kind, error?.field]).toEqual(['config', field]);
    expect(error?.message).toMatch(/^\[fmi\] \[/);
  });

  it('accepts a bucket or table name as shorthand, and false to switch a channel off', () => {
    expect(errorOf(() => aws({ s3: 'fmi-scratch', dynamodb: 'fmi-table' }))).toBeUndefined();
    expect(errorOf(() => aws({ s3: false, dynamodb: false }))).toBeUndefined();
  });
});

describe('aws(): channel settings from config and env, checked before any rank talks', () => {
  const base = { rank: 0, size: 1, job: 'cfg-test', verify: false } as const;

  it('a section without a bucket fails connect() with config naming channels.s3.bucket, with no I/O', async () => {
    const error = await connectError({ ...base, modules: [aws()], env: {}, config: { channels: { s3: { prefix: 'x/' } } } });
    expect([error?.kind, error?.field]).toEqual(['config', 'channels.s3.bucket']);
    expect(error?.message).toContain('no bucket');
  });

  it('an endpoint in the environment without a table fails with config naming channels.dynamodb.table', async () => {
    const error = await connectError({ ...base, modules: [aws()], env: { FMI_DYNAMODB_ENDPOINT: 'http://127.0.0.1:1' } });
    expect([error?.kind, error?.field]).toEqual(['config', 'channels.dynamodb.table']);
  });

  it('unknown keys in channels.s3 and channels.dynamodb name the field', async () => {
    const s3 = await connectError({
      ...base,
      modules: [aws()],
      env: {},
      config: { channels: { s3: { bucket: 'fmi-b', region: 'us-east-1', credentials: {} } } },
    });
    expect([s3?.kind, s3?.field]).toEqual(['config', 'channels.s3.credentials']);
    const ddb = await connectError({ ...base, modules: [aws()], env: {}, config: { channels: { dynamodb: { table: 'fmi-t', pollMaxDelayMs: 'fast' } } } });
    expect([ddb?.kind, ddb?.field]).toEqual(['config', 'channels.dynamodb.pollMaxDelayMs']);
  });

  it('bad environment values name the variable', async () => {
    const bucket = await connectError({ ...base, modules: [aws()], env: { FMI_S3_BUCKET: 'x' } });
    expect([bucket?.kind, bucket?.field]).toEqual(['config', 'FMI_S3_BUCKET']);
    const endpoint = await connectError({ ...base, modules: [aws()], env: { FMI_S3_BUCKET: 'fmi-b', FMI_S3_ENDPOINT: 'not a url' } });
    expect([endpoint?.kind, endpoint?.field]).toEqual(['config', 'FMI_S3_ENDPOINT']);
  });

  it('with no AWS settings anywhere, neither channel is offered', async () => {
    const error = await connectError({ ...base, modules: [aws()], env: {} });
    expect([error?.kind, error?.field]).toEqual(['config', 'channels']);
    expect(error?.message).toContain('no channel is available');
  });
});

describe('aws-lambda platform: launch-time checks', () => {
  it('fails fast, before invoking anything, when the concurrency bound is below the job size', async () => {
    const platform = lambdaPlatform({ functionName: 'f', concurrency: 4, endpoint: 'http://127.0.0.1:1' });
    const error = await platform.launch({ job: 'j', size: 8, entry: '', args: [], env: {} }).then(
      () => undefined,
      (e: unknown) => e as FmiError,
    );
    expect([error?.kind, error?.field]).toEqual(['config', 'aws.lambda.concurrency']);
    expect(error?.message).toContain('needs 8 invocations running at once');
  });

  it('fails with config when no function is named', async () => {
    const error = await lambdaPlatform({})
      .launch({ job: 'j', size: 2, entry: '', args: [], env: {} })
      .then(
        () => undefined,
        (e: unknown) => e as FmiError,
      );
    expect([error?.kind, error?.field]).toEqual(['config', 'aws.lambda.functionName']);
  });
});

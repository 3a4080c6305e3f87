import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { type DynaliteHandle, startDynalite } from '@fmi/tools/dynalite-server';
import { type S3rverHandle, startS3rver } from '@fmi/tools/s3rver-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `fmi run -n 4 --channel s3|dynamodb` as a user types it: the built CLI launches four local ranks
 * of the built k-means example, which find the channel's settings (endpoint, bucket or table) only
 * in the `--config` file (FMI_CONFIG for the ranks) and load `@fmi/aws` because of them. The local
 * servers run in their own processes; the job's result must equal the same job over `direct`,
 * and nothing the job wrote may be left in the bucket or the table.
 */
const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(root, 'apps/cli/dist/bin.js');
const kmeans = join(root, 'apps/examples/dist/kmeans.js');
const built = existsSync(bin) && existsSync(kmeans) && existsSync(join(root, 'providers/aws/dist/index.js'));
const KMEANS_ARGS = ['--samples', '800', '--epochs', '3'];
const BUCKET = 'fmi-e2e';
const TABLE = 'fmi-e2e';

interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `node apps/cli/dist/bin.js run ...` with the environment a user would have: PATH, HOME and the AWS credentials. */
function fmi(args: readonly string[], env: Record<string, string>): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The k-means result rank 0 prints last: `final: inertia 12345.6, purity 78.90% ...`. */
function finalLine(exit: Exit): { inertia: number; purity: string } {
  const match = /\[0\] final: inertia ([\d.]+), purity ([\d.]+)%/.exec(exit.stdout);
  expect(match, `no final line in:\n${exit.stdout}\n${exit.stderr}`).not.toBeNull();
  return { inertia: Number(match![1]), purity: match![2]! };
}

describe.skipIf(!built)('fmi run -n 4 over s3 and dynamodb against local servers (run `npm run build` first)', () => {
  let s3rver: S3rverHandle;
  let dynalite: DynaliteHandle;
  let dir: string;
  let reference: { inertia: number; purity: string };

  beforeAll(async () => {
    [s3rver, dynalite, dir] = await Promise.all([startS3rver({ buckets: [BUCKET] }), startDynalite(), mkdtemp(join(tmpdir(), 'fmi-aws-e2e-'))]);
    const direct = await fmi(['run', '-n', '4', '--channel', 'direct', '-q', kmeans, ...KMEANS_ARGS], {});
    expect(direct.code, direct.stderr).toBe(0);
    reference = finalLine(direct);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([s3rver?.stop(), dynalite?.stop(), dir ? rm(dir, { recursive: true, force: true }) : undefined]);
  });

  /**
   * The allreduce sums in a different order over a store than over direct (the root folds vectors
   * as they arrive), so the inertia may differ in its last bits: equal to 1e-9 relative, and the
   * purity (a ratio of counts) exactly.
   */
  function expectSameResult(exit: Exit): void {
    expect(exit.code, `${exit.stdout}\n${exit.stderr}`).toBe(0);
    const got = finalLine(exit);
    expect(got.purity).toBe(reference.purity);
    expect(Math.abs(got.inertia - reference.inertia)).toBeLessThanOrEqual(Math.max(0.05, reference.inertia * 1e-9));
  }

  it('--channel s3: the result of the direct run, and no object left under the job prefix', async () => {
    const config = join(dir, 's3.json');
    await writeFile(config, JSON.stringify({ channels: { s3: { bucket: BUCKET, endpoint: s3rver.endpoint, forcePathStyle: true, region: 'us-east-1' } } }));
    const job = `e2e-s3-${randomUUID().slice(0, 8)}`;
    const exit = await fmi(['run', '-n', '4', '--channel', 's3', '--config', config, '--job', job, '-q', kmeans, ...KMEANS_ARGS], {
      AWS_ACCESS_KEY_ID: s3rver.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3rver.credentials.secretAccessKey,
    });
    expectSameResult(exit);
    const admin = new S3Client({ region: 'us-east-1', endpoint: s3rver.endpoint, forcePathStyle: true, credentials: s3rver.credentials });
    const listed = await admin.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `fmi/${job}/` }));
    expect((listed.Contents ?? []).map((o) => o.Key)).toEqual([]);
    admin.destroy();
  }, 180_000);

  it('--channel dynamodb: the result of the direct run, and no item left under the job', async () => {
    const config = join(dir, 'dynamodb.json');
    await writeFile(config, JSON.stringify({ channels: { dynamodb: { table: TABLE, endpoint: dynalite.endpoint, createTable: true, region: 'us-east-1' } } }));
    const job = `e2e-ddb-${randomUUID().slice(0, 8)}`;
    const exit = await fmi(['run', '-n', '4', '--channel', 'dynamodb', '--config', config, '--job', job, '-q', kmeans, ...KMEANS_ARGS], {
      AWS_ACCESS_KEY_ID: dynalite.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: dynalite.credentials.secretAccessKey,
    });
    expectSameResult(exit);
    const admin = new DynamoDBClient({ region: 'us-east-1', endpoint: dynalite.endpoint, credentials: dynalite.credentials });
    const items = await admin.send(
      new QueryCommand({ TableName: TABLE, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: job } }, ConsistentRead: true }),
    );
    expect(items.Items ?? []).toEqual([]);
    admin.destroy();
  }, 180_000);
});

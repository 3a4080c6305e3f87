import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Deadline, FmiError } from '@fmi/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Channel } from './s3-channel.js';
import { resolveS3Settings } from './s3-settings.js';

/**
 * What the s3 channel does with S3's "try again" answers, against a server that answers like S3
 * (XML error bodies, the real SDK parsing them): s3rver once failed a whole matrix test by answering
 * a LIST with 500 InternalError "Please try again".
 */
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
let server: Server;
let endpoint: string;
/** Answers still to fail, per request kind, with the status and S3 error code to send. */
const failing: Record<string, Array<[number, string]>> = {};
let listRequests = 0;

function s3Error(code: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>We encountered an internal error. Please try again.</Message><RequestId>r</RequestId></Error>`;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const kind = req.method === 'HEAD' ? 'head' : url.searchParams.get('list-type') === '2' ? 'list' : (req.method ?? 'GET').toLowerCase();
    if (kind === 'list') listRequests++;
    const fail = failing[kind]?.shift();
    if (fail) {
      res.writeHead(fail[0], { 'content-type': 'application/xml' }).end(s3Error(fail[1]));
      return;
    }
    if (kind === 'head') {
      res.writeHead(200).end();
      return;
    }
    if (kind === 'list') {
      const prefix = url.searchParams.get('prefix') ?? '';
      res
        .writeHead(200, { 'content-type': 'application/xml' })
        .end(
          `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>fmi-b</Name><Prefix>${prefix}</Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated><Contents><Key>${prefix}a</Key><Size>1</Size></Contents></ListBucketResult>`,
        );
      return;
    }
    res.writeHead(501).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function opened(): Promise<S3Channel> {
  const settings = resolveS3Settings({ options: { bucket: 'fmi-b', endpoint, credentials: { accessKeyId: 'k', secretAccessKey: 's' } }, env: {} });
  const channel = new S3Channel(settings!);
  await channel.open({ rank: 0, size: 1, job: 'j', logger: quiet, clock: { now: () => Date.now() }, deadline: new Deadline(10_000, 'open') });
  return channel;
}

describe('s3 channel: transient answers are retried within the deadline', () => {
  it('a LIST answered 500 InternalError, then 503 SlowDown, succeeds on the third request', async () => {
    const channel = await opened();
    failing.list = [
      [500, 'InternalError'],
      [503, 'SlowDown'],
    ];
    const before = listRequests;
    expect(await channel.list('x/', { deadline: new Deadline(10_000, 'list') })).toEqual(['x/a']);
    expect(listRequests - before).toBe(3);
    expect(channel.stats()).toMatchObject({ retries: 2, lists: 3 });
    await channel.close();
  });

  it('a service that keeps answering InternalError fails at the deadline with a retryable channel error naming it', async () => {
    const channel = await opened();
    failing.list = Array.from({ length: 1000 }, () => [500, 'InternalError'] as [number, string]);
    const error = await channel.list('x/', { deadline: new Deadline(400, 'list') }).catch((e: unknown) => e);
    failing.list = [];
    expect(FmiError.isKind(error, 'channel')).toBe(true);
    expect((error as FmiError).retryable).toBe(true);
    expect((error as FmiError).message).toMatch(/S3 kept failing until the deadline \(400 ms\): InternalError/);
    await channel.close();
  });
});

import { randomUUID } from 'node:crypto';
import { FmiError } from '@fmi/core';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { deleteJobKeys } from './gc.js';

declare module 'vitest' {
  interface ProvidedContext {
    redisUrl: string;
  }
}

const url = inject('redisUrl');
const admin = createClient({ url, RESP: 3 });
admin.on('error', () => {});
beforeAll(async () => {
  await admin.connect();
});
afterAll(async () => {
  await admin.close();
});

async function count(pattern: string): Promise<number> {
  let n = 0;
  for await (const page of admin.scanIterator({ MATCH: pattern, COUNT: 1000 })) n += page.length;
  return n;
}

describe('deleteJobKeys (fmi gc)', () => {
  it("removes every key of a crashed job, and only that job's", async () => {
    const crashed = `gc-${randomUUID()}`;
    const alive = `gc-${randomUUID()}`;
    // A job id that is a prefix of another must not take the other with it.
    const longer = `${crashed}x`;
    for (let i = 0; i < 2500; i++) await admin.set(`fmi:${crashed}/obj/${i}`, 'x', { EX: 600 });
    await admin.set(`fmi:${crashed}/counter`, '3');
    await admin.set(`fmi:${alive}/obj/0`, 'x', { EX: 600 });
    await admin.set(`fmi:${longer}/obj/0`, 'x', { EX: 600 });

    expect(await deleteJobKeys(url, crashed)).toBe(2501);
    expect(await count(`fmi:${crashed}/*`)).toBe(0);
    expect(await count(`fmi:${alive}/*`)).toBe(1);
    expect(await count(`fmi:${longer}/*`)).toBe(1);
    expect(await deleteJobKeys(url, crashed)).toBe(0);
    await deleteJobKeys(url, alive);
    await deleteJobKeys(url, longer);
  });

  it('honours a custom key prefix and treats glob characters in it literally', async () => {
    const job = `gc-${randomUUID()}`;
    await admin.set(`my*app:${job}/k`, 'x', { EX: 600 });
    await admin.set(`myXapp:${job}/k`, 'x', { EX: 600 });
    expect(await deleteJobKeys(url, job, 'my*app:')).toBe(1);
    expect(await count(`myXapp:${job}/*`)).toBe(1);
    await deleteJobKeys(url, job, 'myXapp:');
  });

  it("fails with 'config' for an unusable URL and 'invalid-argument' for an empty job", async () => {
    const bad = await deleteJobKeys('redis://127.0.0.1:1', 'j', undefined, { timeoutMs: 3_000 }).catch((e: unknown) => e);
    expect(FmiError.isKind(bad, 'config')).toBe(true);
    expect((bad as FmiError).field).toBe('channels.redis.url');
    const empty = await deleteJobKeys(url, '').catch((e: unknown) => e);
    expect(FmiError.isKind(empty, 'invalid-argument')).toBe(true);
  });
});

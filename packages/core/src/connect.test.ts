import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connect } from './connect.js';
import { FmiError } from './errors.js';
import { fmiModule } from './module.js';
import { createMemoryHub } from './testing/memory-hub.js';
import { memoryMessageChannel } from './testing/memory-message-channel.js';
import { memoryObjectChannel } from './testing/memory-object-channel.js';
import type { ChannelProvider } from './tokens.js';

async function failure(p: Promise<unknown>): Promise<FmiError> {
  try {
    await p;
  } catch (e) {
    if (FmiError.is(e)) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

describe('connect', () => {
  it('reads rank, size and job from the environment contract', async () => {
    const hub = createMemoryHub();
    const comm = await connect({ env: { FMI_RANK: '0', FMI_SIZE: '1', FMI_JOB: 'env-job', FMI_HINT: 'fast' }, channels: [memoryMessageChannel(hub)] });
    expect([comm.rank, comm.size, comm.job, comm.channels]).toEqual([0, 1, 'env-job', ['memory-msg']]);
    await comm.close();
  });

  it('rejects a deliberately wrong config file with kind config and the field path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fmi-cfg-'));
    const file = join(dir, 'fmi.json');
    writeFileSync(file, JSON.stringify({ hint: 'fast', timeoutMs: -5 }));
    const e = await failure(connect({ rank: 0, size: 1, job: 'j', env: { FMI_CONFIG: file }, channels: [memoryMessageChannel(createMemoryHub())] }));
    expect(e.kind).toBe('config');
    expect(e.field).toBe('timeoutMs');
    expect(e.message).toContain(file);
  });

  it('rejects bad rank, size and job before any channel opens', async () => {
    const ch = () => [memoryMessageChannel(createMemoryHub())];
    expect((await failure(connect({ rank: 3, size: 2, job: 'j', env: {}, channels: ch() }))).field).toBe('rank');
    expect((await failure(connect({ rank: 0, size: 0, job: 'j', env: {}, channels: ch() }))).field).toBe('size');
    expect((await failure(connect({ rank: 0, size: 1, env: {}, channels: ch() }))).field).toBe('job');
    expect((await failure(connect({ rank: 0, size: 1, job: 'bad job!', env: {}, channels: ch() }))).field).toBe('job');
    expect((await failure(connect({ size: 1, job: 'j', env: { FMI_RANK: 'x' }, channels: ch() }))).field).toBe('rank');
  });

  it('refuses config for a channel no module provides, and a forced channel that is absent', async () => {
    const hub = createMemoryHub();
    const e1 = await failure(
      connect({ rank: 0, size: 1, job: 'j', env: {}, config: { channels: { rediss: { url: 'x' } } }, channels: [memoryMessageChannel(hub)] }),
    );
    expect([e1.kind, e1.field]).toEqual(['config', 'channels.rediss']);
    const e2 = await failure(connect({ rank: 0, size: 1, job: 'j', env: {}, channel: 's3', channels: [memoryMessageChannel(hub)] }));
    expect([e2.kind, e2.field]).toEqual(['config', 'channel']);
    const e3 = await failure(connect({ rank: 0, size: 1, job: 'j', env: {} }));
    expect([e3.kind, e3.field]).toEqual(['config', 'channels']);
  });

  it('builds channels from provider modules bound in the container', async () => {
    const hub = createMemoryHub();
    const provider: ChannelProvider = {
      name: 'memory-obj',
      kind: 'object',
      create: (ctx) => (ctx.config.channels['memory-obj'] || ctx.env.MEM === '1' ? memoryObjectChannel(hub) : undefined),
    };
    const absent = await failure(connect({ rank: 0, size: 1, job: 'mod', env: {}, modules: [fmiModule({ channels: [provider] })] }));
    expect(absent.kind).toBe('config');
    const comm = await connect({ rank: 0, size: 1, job: 'mod', env: { MEM: '1' }, modules: [fmiModule({ channels: [provider] })] });
    expect(comm.channels).toEqual(['memory-obj']);
    await comm.close();
  });

  it('fails every rank with a config error when ranks resolved different channels', async () => {
    const hub = createMemoryHub();
    const errors = await Promise.allSettled([
      connect({ rank: 0, size: 2, job: 'mismatch', env: {}, timeoutMs: 2000, channels: [memoryMessageChannel(hub)] }),
      connect({ rank: 1, size: 2, job: 'mismatch', env: {}, timeoutMs: 2000, channels: [memoryMessageChannel(hub), memoryObjectChannel(hub)] }),
    ]);
    for (const r of errors) {
      expect(r.status).toBe('rejected');
      const reason = (r as PromiseRejectedResult).reason;
      expect(FmiError.is(reason) && ['config', 'timeout'].includes(reason.kind)).toBe(true);
    }
  });
});

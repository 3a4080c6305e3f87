import { type ChannelFactoryContext, FmiError } from '@fmi/core';
import { describe, expect, it } from 'vitest';
import { directChannelProvider } from './provider.js';

function ctx(direct: Record<string, unknown> | undefined, env: Record<string, string> = {}, secret: string | undefined = 's3cret'): ChannelFactoryContext {
  const noop = () => {};
  return {
    rank: 0,
    size: 2,
    job: 'j',
    secret,
    config: {
      job: undefined,
      hint: 'cheap',
      channel: undefined,
      timeoutMs: 1000,
      memoryMiB: 1024,
      logLevel: 'warn',
      channels: direct ? { direct } : {},
      model: {},
    },
    env,
    logger: { debug: noop, info: noop, warn: noop, error: noop },
    clock: { now: () => Date.now() },
  };
}

function configError(f: () => unknown): FmiError {
  try {
    f();
  } catch (e) {
    if (FmiError.isKind(e, 'config')) return e;
    throw e;
  }
  throw new Error('expected a config error');
}

describe('directChannelProvider', () => {
  it('offers no channel without a rendezvous address', () => {
    expect(directChannelProvider().create(ctx(undefined))).toBeUndefined();
  });

  it('creates the channel from FMI_RENDEZVOUS, config or options, options first', () => {
    const p = directChannelProvider();
    const ch = p.create(ctx(undefined, { FMI_RENDEZVOUS: 'tcp://127.0.0.1:9' }));
    expect(ch).toMatchObject({
      name: 'direct',
      kind: 'message',
      capabilities: { atomicCounter: false, nativeWait: true, ttl: false, maxPayloadBytes: 2 ** 31 - 1 },
    });
    expect(ch?.model).toMatchObject({ latencyMs: 0.03, bandwidthBytesPerMs: 400_000, pricePerHour: 0.0134 });
    expect(p.create(ctx({ rendezvous: 'tcp://h:1', paths: ['relay'], punchTimeoutMs: 100 }))).toBeDefined();
    expect(directChannelProvider({ rendezvous: 'tcp://h:2', secret: 'x' }).create(ctx({ rendezvous: 'not an address:' }, {}, undefined))).toBeDefined();
  });

  it('rejects unknown keys and bad values with the field path', () => {
    const p = directChannelProvider();
    expect(configError(() => p.create(ctx({ rendezvous: 'tcp://h:1', bogus: 1 }))).field).toBe('channels.direct.bogus');
    expect(configError(() => p.create(ctx({ rendezvous: 'tcp://h:1', secret: 'no' }))).field).toBe('channels.direct.secret');
    expect(configError(() => p.create(ctx({ rendezvous: 'tcp://h:1', paths: ['teleport'] }))).field).toBe('channels.direct.paths');
    expect(configError(() => p.create(ctx({ rendezvous: 'tcp://h:1', punchTimeoutMs: -1 }))).field).toBe('channels.direct.punchTimeoutMs');
    expect(configError(() => p.create(ctx({ rendezvous: 'udp://h:1' }))).field).toBe('channels.direct.rendezvous');
    expect(configError(() => directChannelProvider({ nope: true } as never).create(ctx(undefined))).field).toBe('direct options.nope');
    expect(configError(() => p.create(ctx(undefined, { FMI_RENDEZVOUS: 'tcp://h:1' }, ''))).field).toBe('FMI_SECRET');
  });
});

import { describe, expect, it } from 'vitest';
import { asChannelError, FmiError } from './errors.js';
import { Deadline } from './util/deadline.js';

describe('FmiError', () => {
  it('is recognised through its brand even from another copy of the package', () => {
    const e = new FmiError('timeout', 'took too long');
    expect(FmiError.is(e)).toBe(true);
    expect(e.retryable).toBe(true);
    expect(e.message).toBe('[fmi] took too long');
    // A structurally separate object carrying the global brand, as a duplicate install would produce.
    const foreign = Object.assign(new Error('x'), { kind: 'auth' });
    Object.defineProperty(foreign, Symbol.for('@fmi/core.FmiError'), { value: true });
    expect(FmiError.is(foreign)).toBe(true);
    expect(FmiError.is(new Error('plain'))).toBe(false);
    expect(FmiError.is(null)).toBe(false);
  });

  it('wraps unknown channel failures as kind channel and keeps FmiErrors', () => {
    const cause = new Error('ECONNRESET');
    const wrapped = asChannelError('redis', 'GET', cause);
    expect(wrapped.kind).toBe('channel');
    expect(wrapped.cause).toBe(cause);
    expect(wrapped.message).toContain('[redis] GET failed: ECONNRESET');
    const own = new FmiError('auth', 'no');
    expect(asChannelError('redis', 'x', own)).toBe(own);
  });
});

describe('Deadline', () => {
  it('aborts its signal with a timeout FmiError at the deadline', async () => {
    const d = new Deadline(30, 'test op');
    const reason = await new Promise((resolve) => d.signal.addEventListener('abort', () => resolve(d.signal.reason)));
    expect(FmiError.isKind(reason, 'timeout')).toBe(true);
    expect((reason as Error).message).toContain('test op timed out after 30 ms');
    d.dispose();
  });

  it("turns the caller's abort into kind aborted", () => {
    const ac = new AbortController();
    const d = new Deadline(10_000, 'op', ac.signal);
    const s = d.signal;
    ac.abort(new Error('user'));
    expect(FmiError.isKind(s.reason, 'aborted')).toBe(true);
    expect(() => d.throwIfExpired()).toThrow(expect.objectContaining({ kind: 'aborted' }));
    d.dispose();
  });
});

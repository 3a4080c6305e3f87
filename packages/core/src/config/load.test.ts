import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FmiError } from '../errors.js';
import { mergeConfig, parseConfigObject, resolveConfig, resolveConfigSync } from './load.js';
import { CONFIG_DEFAULTS } from './schema.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fmi-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeJson(name: string, value: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  return path;
}

/** The FmiError a promise or function fails with; fails the test when it does not fail. */
async function configErrorOf(run: () => unknown): Promise<FmiError> {
  try {
    await run();
  } catch (error) {
    expect(FmiError.isKind(error, 'config'), `expected a config FmiError, got ${String(error)}`).toBe(true);
    return error as FmiError;
  }
  throw new Error('expected a config error, but it resolved');
}

describe('resolveConfig: defaults and sources', () => {
  it('gives the documented defaults when nothing is set', async () => {
    const config = await resolveConfig({ env: {} });
    expect(config).toEqual({
      job: undefined,
      hint: CONFIG_DEFAULTS.hint,
      channel: undefined,
      timeoutMs: CONFIG_DEFAULTS.timeoutMs,
      memoryMiB: CONFIG_DEFAULTS.memoryMiB,
      logLevel: CONFIG_DEFAULTS.logLevel,
      channels: {},
      model: {},
    });
    expect(CONFIG_DEFAULTS).toEqual({ hint: 'cheap', timeoutMs: 60_000, memoryMiB: 2048, logLevel: 'warn' });
  });

  it('merges file < environment < options, later sources winning field by field', async () => {
    const file = await writeJson('fmi.json', {
      hint: 'fast',
      timeoutMs: 1000,
      memoryMiB: 512,
      logLevel: 'error',
      job: 'from-file',
      channel: 'redis',
    });
    const config = await resolveConfig({
      file,
      env: { FMI_TIMEOUT_MS: '2000', FMI_MEMORY_MIB: '1024', FMI_JOB: 'from-env' },
      options: { memoryMiB: 4096 },
    });
    expect(config).toMatchObject({
      hint: 'fast', // file only
      logLevel: 'error', // file only
      channel: 'redis', // file only
      timeoutMs: 2000, // env over file
      job: 'from-env', // env over file
      memoryMiB: 4096, // options over env and file
    });
  });

  it('deep-merges channels and model, so a later source changes one setting without restating the section', async () => {
    const file = await writeJson('fmi.json', {
      channels: { redis: { url: 'redis://file:6379', prefix: 'p' }, s3: { bucket: 'b' } },
      model: { functionPerGiBSecond: 1, channels: { s3: { latencyMs: 40, pricePerRequest: { put: 5, get: 1 } } } },
    });
    const config = await resolveConfig({
      file,
      env: {},
      options: {
        channels: { redis: { url: 'redis://opt:6379' }, direct: { rendezvous: 'tcp://h:1' } },
        model: { channels: { s3: { pricePerRequest: { get: 2 } }, redis: { latencyMs: 1 } } },
      },
    });
    expect(config.channels).toEqual({
      redis: { url: 'redis://opt:6379', prefix: 'p' },
      s3: { bucket: 'b' },
      direct: { rendezvous: 'tcp://h:1' },
    });
    expect(config.model).toEqual({
      functionPerGiBSecond: 1,
      channels: { s3: { latencyMs: 40, pricePerRequest: { put: 5, get: 2 } }, redis: { latencyMs: 1 } },
    });
  });

  it('treats undefined options as "not set" rather than erasing earlier values', async () => {
    const config = await resolveConfig({ env: { FMI_HINT: 'fast' }, options: { hint: undefined, timeoutMs: undefined } });
    expect(config.hint).toBe('fast');
    expect(config.timeoutMs).toBe(CONFIG_DEFAULTS.timeoutMs);
    const nested = await resolveConfig({
      env: {},
      options: { channels: { redis: undefined, s3: { bucket: 'b', region: undefined } }, model: { channels: undefined } } as never,
    });
    expect(nested.channels).toEqual({ s3: { bucket: 'b' } });
    expect(Object.keys(nested.channels.s3)).toEqual(['bucket']);
    expect(nested.model).toEqual({});
  });

  it('reads the file named by FMI_CONFIG, and an explicit file wins over it', async () => {
    const viaEnv = await writeJson('env.json', { hint: 'fast' });
    const explicit = await writeJson('explicit.json', { timeoutMs: 7 });
    expect((await resolveConfig({ env: { FMI_CONFIG: viaEnv } })).hint).toBe('fast');
    const config = await resolveConfig({ file: explicit, env: { FMI_CONFIG: viaEnv } });
    expect(config.hint).toBe('cheap');
    expect(config.timeoutMs).toBe(7);
  });

  it('accepts an already-parsed object as the file', async () => {
    const config = await resolveConfig({ file: { channels: { redis: { url: 'redis://x:1' } } }, env: {} });
    expect(config.channels).toEqual({ redis: { url: 'redis://x:1' } });
  });

  it('accepts a "$schema" key in the file and leaves it out of the result', async () => {
    const file = await writeJson('fmi.json', { $schema: './node_modules/@fmi/core/dist/fmi.schema.json', hint: 'fast' });
    const config = await resolveConfig({ file, env: {} });
    expect(config.hint).toBe('fast');
    expect(Object.keys(config)).not.toContain('$schema');
  });

  it('reads process.env when no env is given', async () => {
    const saved = process.env.FMI_LOG_LEVEL;
    process.env.FMI_LOG_LEVEL = 'debug';
    try {
      expect((await resolveConfig()).logLevel).toBe('debug');
    } finally {
      if (saved === undefined) delete process.env.FMI_LOG_LEVEL;
      else process.env.FMI_LOG_LEVEL = saved;
    }
  });

  it("returns a frozen configuration without freezing the caller's objects", async () => {
    class Client {
      send(): void {}
    }
    const client = new Client();
    const options = { channels: { s3: { bucket: 'b', client, tags: ['a'] } } };
    const config = await resolveConfig({ env: {}, options });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.channels.s3)).toBe(true);
    expect(Object.isFrozen(config.channels.s3.tags)).toBe(true);
    expect(Object.isFrozen(options.channels.s3)).toBe(false);
    expect(Object.isFrozen(options.channels.s3.tags)).toBe(false);
    // A non-plain value (a client instance) is passed through as it is, not copied or frozen.
    expect(config.channels.s3.client).toBe(client);
    expect(Object.isFrozen(client)).toBe(false);
  });

  it('resolveConfigSync gives the same result as resolveConfig', async () => {
    const file = await writeJson('fmi.json', { hint: 'fast', channels: { redis: { url: 'redis://a:1' } } });
    const input = { file, env: { FMI_TIMEOUT_MS: '5000' }, options: { memoryMiB: 256 } };
    expect(resolveConfigSync(input)).toEqual(await resolveConfig(input));
  });
});

describe('resolveConfig: environment variables', () => {
  it.each([
    ['FMI_HINT', 'fast', { hint: 'fast' }],
    ['FMI_HINT', 'CHEAP', { hint: 'cheap' }],
    ['FMI_CHANNEL', 'redis', { channel: 'redis' }],
    ['FMI_TIMEOUT_MS', '1500', { timeoutMs: 1500 }],
    ['FMI_TIMEOUT_MS', ' 250 ', { timeoutMs: 250 }],
    ['FMI_JOB', 'train-42', { job: 'train-42' }],
    ['FMI_MEMORY_MIB', '3008', { memoryMiB: 3008 }],
    ['FMI_LOG_LEVEL', 'info', { logLevel: 'info' }],
    ['FMI_LOG_LEVEL', 'DEBUG', { logLevel: 'debug' }],
  ])('%s=%j sets %j', async (name, value, expected) => {
    expect(await resolveConfig({ env: { [name]: value } })).toMatchObject(expected);
  });

  it('treats an empty variable as unset', async () => {
    const config = await resolveConfig({ env: { FMI_HINT: '', FMI_TIMEOUT_MS: '  ', FMI_CONFIG: '' }, options: {} });
    expect(config.hint).toBe('cheap');
    expect(config.timeoutMs).toBe(CONFIG_DEFAULTS.timeoutMs);
  });

  it('ignores channel-specific variables, which belong to the providers', async () => {
    const config = await resolveConfig({ env: { FMI_REDIS_URL: 'redis://x:1', FMI_S3_BUCKET: 'b' } });
    expect(config.channels).toEqual({});
  });

  it.each([
    ['FMI_TIMEOUT_MS', 'abc', 'timeoutMs', 'timeoutMs must be a positive integer (got "abc" from FMI_TIMEOUT_MS)'],
    ['FMI_TIMEOUT_MS', '0', 'timeoutMs', 'timeoutMs must be a positive integer (got 0 from FMI_TIMEOUT_MS)'],
    ['FMI_TIMEOUT_MS', '1.5', 'timeoutMs', 'timeoutMs must be a positive integer (got 1.5 from FMI_TIMEOUT_MS)'],
    ['FMI_TIMEOUT_MS', '90000000', 'timeoutMs', 'timeoutMs must be at most 86400000 (24 hours) (got 90000000 from FMI_TIMEOUT_MS)'],
    ['FMI_MEMORY_MIB', '2GB', 'memoryMiB', 'memoryMiB must be a positive integer (got "2GB" from FMI_MEMORY_MIB)'],
    ['FMI_HINT', 'fastest', 'hint', 'hint must be "fast" or "cheap" (got "fastest" from FMI_HINT)'],
    ['FMI_LOG_LEVEL', 'loud', 'logLevel', 'logLevel must be one of "silent", "error", "warn", "info", "debug" (got "loud" from FMI_LOG_LEVEL)'],
    ['FMI_CHANNEL', 'Redis', 'channel', 'channel must be a channel name: lower-case letters'],
    ['FMI_JOB', 'bad job!', 'job', 'job must be letters, digits, ".", "_" and "-"'],
  ])('%s=%j is rejected naming the field and the variable', async (name, value, field, message) => {
    const error = await configErrorOf(() => resolveConfig({ env: { [name]: value } }));
    expect(error.field).toBe(field);
    expect(error.message).toContain(`[fmi] config: ${message}`);
    expect(error.message).toContain(name);
  });

  it('lists every bad variable, the first one leading', async () => {
    const error = await configErrorOf(() => resolveConfig({ env: { FMI_TIMEOUT_MS: 'x', FMI_HINT: 'y' } }));
    expect(error.field).toBe('hint');
    expect(error.message).toMatch(
      /^\[fmi\] config: hint must be "fast" or "cheap" \(got "y" from FMI_HINT\)\n1 more problem:\n {2}- timeoutMs must be a positive integer \(got "x" from FMI_TIMEOUT_MS\)$/,
    );
  });
});

describe('resolveConfig: validation at the boundary', () => {
  it('rejects an unknown top-level key in the file, with its field, the file and a suggestion', async () => {
    const file = await writeJson('fmi.json', { timeoutMS: 100 });
    const error = await configErrorOf(() => resolveConfig({ file, env: {} }));
    expect(error.field).toBe('timeoutMS');
    expect(error.message).toBe(`[fmi] config: timeoutMS is not a known key (in ${file}) — did you mean "timeoutMs"? If not, remove it from ${file}`);
  });

  it('lists the known keys when an unknown key resembles none of them', async () => {
    const error = await configErrorOf(() => resolveConfig({ env: {}, options: { model: { zzzzzzzz: 1 } } as never }));
    expect(error.field).toBe('model.zzzzzzzz');
    expect(error.message).toContain('known keys here: "functionPerGiBSecond", "functionPerRequest", "channels"');
  });

  it('rejects a nested bad value with its dotted path', async () => {
    const file = await writeJson('fmi.json', { model: { channels: { s3: { latencyMs: -5 } } } });
    const error = await configErrorOf(() => resolveConfig({ file, env: {} }));
    expect(error.field).toBe('model.channels.s3.latencyMs');
    expect(error.message).toBe(`[fmi] config: model.channels.s3.latencyMs must be a number of milliseconds >= 0 (got -5 in ${file})`);
  });

  it('rejects an unknown key deep inside the model, naming "options" as the source', async () => {
    const error = await configErrorOf(() => resolveConfig({ env: {}, options: { model: { channels: { redis: { pricePerRequest: { pull: 1 } } } } } as never }));
    expect(error.field).toBe('model.channels.redis.pricePerRequest.pull');
    expect(error.message).toContain('(in options)');
    expect(error.message).toContain('did you mean "put"?');
  });

  it('rejects a channels section that is not an object, and a channel name that is not lower case', async () => {
    const notObject = await configErrorOf(() => resolveConfig({ env: {}, options: { channels: 'redis' } as never }));
    expect(notObject.field).toBe('channels');
    expect(notObject.message).toContain('channels must be an object of channel settings by channel name');
    const section = await configErrorOf(() => resolveConfig({ env: {}, options: { channels: { redis: 'redis://x' } } as never }));
    expect(section.field).toBe('channels.redis');
    expect(section.message).toContain('got "redis://x" in options');
    const name = await configErrorOf(() => resolveConfig({ env: {}, options: { channels: { Redis: { url: 'redis://x' } } } }));
    expect(name.field).toBe('channels.Redis');
    expect(name.message).toContain('is not a valid name here');
  });

  it('rejects a document that is not an object', async () => {
    const file = await writeJson('fmi.json', '[1, 2]');
    const error = await configErrorOf(() => resolveConfig({ file, env: {} }));
    expect(error.field).toBeUndefined();
    expect(error.message).toBe(`[fmi] config: the configuration must be a JSON object (got [1,2] in ${file})`);
  });

  it('reports a bad file even when the environment and options are fine', async () => {
    const file = await writeJson('fmi.json', { hint: 'slow' });
    const error = await configErrorOf(() => resolveConfig({ file, env: { FMI_HINT: 'fast' }, options: { hint: 'fast' } }));
    expect(error.field).toBe('hint');
    expect(error.message).toContain(`(got "slow" in ${file})`);
  });

  it('rejects an unparsable file naming it, the line, the column and the position', async () => {
    const file = await writeJson('fmi.json', '{\n  "hint": "fast",\n  "timeoutMs": 100,\n}\n');
    const error = await configErrorOf(() => resolveConfig({ file, env: {} }));
    expect(error.message).toContain(`[fmi] config: ${file} is not valid JSON: trailing comma before "}" at line 4, column 1 (position 40)`);
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it('names FMI_CONFIG when the file it points at is missing', async () => {
    const missing = join(dir, 'nope.json');
    const error = await configErrorOf(() => resolveConfig({ env: { FMI_CONFIG: missing } }));
    expect(error.message).toBe(`[fmi] config: file ${missing} (named by FMI_CONFIG) does not exist — check the path, or unset FMI_CONFIG`);
  });

  it('rejects a missing explicit file and a directory given as the file', async () => {
    const missing = join(dir, 'missing.json');
    expect((await configErrorOf(() => resolveConfig({ file: missing, env: {} }))).message).toBe(
      `[fmi] config: file ${missing} does not exist — check the path`,
    );
    expect((await configErrorOf(() => resolveConfig({ file: dir, env: {} }))).message).toContain(`file ${dir} is a directory`);
    expect((await configErrorOf(() => resolveConfigSync({ file: missing, env: {} }))).message).toContain('does not exist');
  });
});

describe('parseConfigObject and mergeConfig', () => {
  it('validates one document without defaults, naming the given source', async () => {
    expect(parseConfigObject({ hint: 'fast' }, 'fmi.json')).toEqual({ hint: 'fast' });
    const error = await configErrorOf(() => parseConfigObject({ memoryMiB: 0 }, 'profile.json'));
    expect(error.message).toBe('[fmi] config: memoryMiB must be a positive integer (got 0 in profile.json)');
  });

  it('does not let a "__proto__" key in a file change the prototype of a channel section', async () => {
    const file = await writeJson('fmi.json', '{"channels": {"redis": {"__proto__": {"polluted": true}, "url": "redis://x"}}}');
    const config = await resolveConfig({ file, env: {}, options: { channels: { redis: { db: 1 } } } });
    const redis = config.channels.redis as Record<string, unknown>;
    expect(redis.polluted).toBeUndefined();
    expect(redis.url).toBe('redis://x');
    expect(redis.db).toBe(1);
  });

  it('does not let a "__proto__" key change the prototype of the merged result', () => {
    const layer = JSON.parse('{"channels": {"redis": {"__proto__": {"polluted": true}, "url": "redis://x"}}}');
    const merged = mergeConfig({ channels: { redis: { db: 1 } } }, layer);
    const redis = merged.channels?.redis as Record<string, unknown>;
    expect(Object.getPrototypeOf(redis)).toBe(Object.prototype);
    expect(redis.polluted).toBeUndefined();
    expect(redis.url).toBe('redis://x');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

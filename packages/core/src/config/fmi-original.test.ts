import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FmiError } from '../errors.js';
import { isFmiOriginalConfig } from './fmi-original.js';
import { parseConfigObject, resolveConfig } from './load.js';

/**
 * `config/fmi.json` of spcl/fmi (the C++ library) as its model-aware version ships it: every key
 * and value as upstream has them.
 */
const UPSTREAM_FMI_JSON = `{
  "backends": {
    "S3": {
      "enabled": false,
      "bucket_name": "romanboe-uploadtest",
      "s3_region": "eu-central-1",
      "timeout": 100,
      "max_timeout": 1000
    },
    "Redis": {
      "enabled": false,
      "host": "127.0.0.1",
      "port": 6379,
      "timeout": 1,
      "max_timeout": 1000
    },
    "Direct": {
      "enabled": true,
      "host": "127.0.0.1",
      "port": 10000,
      "max_timeout": 1000
    }
  },
  "model": {
    "FaaS": {
      "gib_second_price": 0.0000166667
    },
    "S3": {
      "bandwidth": 50.0,
      "overhead": 40.4,
      "transfer_price": 0.0,
      "download_price": 0.00000043,
      "upload_price": 0.0000054
    },
    "Redis": {
      "bandwidth_single": 100.0,
      "bandwidth_multiple": 400.0,
      "overhead": 5.2,
      "transfer_price": 0.0,
      "instance_price": 0.0038,
      "requests_per_hour": 1000,
      "include_infrastructure_costs": true
    },
    "Direct": {
      "bandwidth": 400.0,
      "overhead": 0.34,
      "transfer_price": 0.0,
      "vm_price": 0.0134,
      "requests_per_hour": 1000,
      "include_infrastructure_costs": true
    }
  }
}
`;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fmi-original-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface OriginalDocument {
  backends: Record<string, Record<string, unknown>>;
  model: Record<string, Record<string, unknown>>;
  [section: string]: unknown;
}

/** A fresh copy of the upstream document, for a test to break one field of. */
function upstream(): OriginalDocument {
  return JSON.parse(UPSTREAM_FMI_JSON) as OriginalDocument;
}

function configErrorOf(run: () => unknown): FmiError {
  try {
    run();
  } catch (error) {
    expect(FmiError.isKind(error, 'config'), `expected a config FmiError, got ${String(error)}`).toBe(true);
    return error as FmiError;
  }
  throw new Error('expected a config error, but it returned');
}

describe("FMI's original fmi.json", () => {
  it('is recognised by its "backends" section', () => {
    expect(isFmiOriginalConfig(upstream())).toBe(true);
    expect(isFmiOriginalConfig({ model: {} })).toBe(false);
    expect(isFmiOriginalConfig([{ backends: {} }])).toBe(false);
    expect(isFmiOriginalConfig(null)).toBe(false);
  });

  it('translates the upstream file: enabled backends become channels, the model converts units', async () => {
    const file = join(dir, 'fmi.json');
    await writeFile(file, UPSTREAM_FMI_JSON);
    const config = await resolveConfig({ file, env: {} });
    expect(config).toEqual({
      job: undefined,
      hint: 'cheap',
      channel: undefined,
      // The enabled backend's max_timeout (Direct, 1000 ms); disabled backends do not count.
      timeoutMs: 1000,
      memoryMiB: 2048,
      logLevel: 'warn',
      // S3 and Redis have "enabled": false, so they are not offered at all.
      channels: { direct: { rendezvous: 'tcp://127.0.0.1:10000' } },
      model: {
        functionPerGiBSecond: 0.0000166667,
        channels: {
          // overhead ms -> latencyMs; MB/s -> bytes/ms (x1000); US$/GB -> US$/byte; GET/PUT prices.
          s3: { latencyMs: 40.4, bandwidthBytesPerMs: 50_000, pricePerByte: 0, pricePerRequest: { put: 0.0000054, get: 0.00000043 } },
          redis: { latencyMs: 5.2, bandwidthBytesPerMs: 100_000, aggregateBandwidthBytesPerMs: 400_000, pricePerByte: 0, pricePerHour: 0.0038 },
          direct: { latencyMs: 0.34, bandwidthBytesPerMs: 400_000, pricePerByte: 0, pricePerHour: 0.0134 },
        },
      },
    });
  });

  it('translates every enabled backend, lower-case names too, and takes the longest max_timeout', () => {
    const translated = parseConfigObject(
      {
        backends: {
          s3: { enabled: true, bucket_name: 'scratch', s3_region: 'eu-central-1', timeout: 100, max_timeout: 30_000 },
          redis: { enabled: true, host: 'cache.internal', port: 6380, timeout: 1, max_timeout: 5000 },
          // No "enabled": FMI's reader counts a backend without it as enabled.
          direct: { host: '2001:db8::5', port: 10000 },
        },
        model: { faas: { gib_second_price: 0.00001 }, s3: { transfer_price: 0.09 } },
      },
      'fmi.json',
    );
    expect(translated).toEqual({
      channels: {
        s3: { bucket: 'scratch', region: 'eu-central-1' },
        redis: { url: 'redis://cache.internal:6380' },
        direct: { rendezvous: 'tcp://[2001:db8::5]:10000' },
      },
      timeoutMs: 30_000,
      model: { functionPerGiBSecond: 0.00001, channels: { s3: { pricePerByte: 0.09 / 1e9 } } },
    });
  });

  it('leaves out the region when s3_region is absent (the standard AWS chain decides) and the model when there is none', () => {
    expect(parseConfigObject({ backends: { S3: { enabled: true, bucket_name: 'b' } } }, 'fmi.json')).toEqual({ channels: { s3: { bucket: 'b' } } });
  });

  it('counts an instance price only with include_infrastructure_costs: true, as FMI does', () => {
    const model = (redis: Record<string, unknown>) =>
      (parseConfigObject({ backends: {}, model: { Redis: redis } }, 'fmi.json').model?.channels?.redis ?? {}) as Record<string, unknown>;
    expect(model({ instance_price: 0.5, include_infrastructure_costs: true }).pricePerHour).toBe(0.5);
    expect(model({ instance_price: 0.5, include_infrastructure_costs: false }).pricePerHour).toBe(0);
    expect(model({ instance_price: 0.5 }).pricePerHour).toBe(0);
    expect(model({ include_infrastructure_costs: false }).pricePerHour).toBe(0);
    // Nothing said about infrastructure: the channel's own default stays.
    expect(model({ overhead: 1 })).toEqual({ latencyMs: 1 });
  });

  it('is overridden by the environment and by options like any file', async () => {
    const file = join(dir, 'fmi.json');
    await writeFile(file, UPSTREAM_FMI_JSON);
    const config = await resolveConfig({
      file,
      env: { FMI_TIMEOUT_MS: '20000', FMI_HINT: 'fast' },
      options: { channels: { direct: { rendezvous: 'tcp://10.0.0.5:10000' } }, model: { channels: { direct: { latencyMs: 0.2 } } } },
    });
    expect(config.timeoutMs).toBe(20_000);
    expect(config.hint).toBe('fast');
    expect(config.channels.direct).toEqual({ rendezvous: 'tcp://10.0.0.5:10000' });
    expect(config.model.channels?.direct).toEqual({ latencyMs: 0.2, bandwidthBytesPerMs: 400_000, pricePerByte: 0, pricePerHour: 0.0134 });
  });
});

describe("FMI's original fmi.json: rejected with the path of the bad field", () => {
  it('rejects a wrong type in a backend field, naming the key as the file spells it', () => {
    const doc = { backends: { redis: { enabled: true, host: '127.0.0.1', port: '6379' } } };
    const error = configErrorOf(() => parseConfigObject(doc, '/srv/fmi.json'));
    expect(error.field).toBe('backends.redis.port');
    expect(error.message).toBe('[fmi] config: backends.redis.port must be a port number (an integer from 1 to 65535) (got "6379" in /srv/fmi.json)');
  });

  it('rejects out-of-range and wrongly typed values in the upstream spelling, all listed', () => {
    const doc = upstream();
    doc.backends.Redis.port = 70000;
    doc.backends.Direct.enabled = 'true';
    doc.model.S3.bandwidth = 0;
    const error = configErrorOf(() => parseConfigObject(doc, 'fmi.json'));
    expect(error.field).toBe('backends.Redis.port');
    expect(error.message).toContain('backends.Redis.port must be a port number (an integer from 1 to 65535) (got 70000 in fmi.json)');
    expect(error.message).toContain('backends.Direct.enabled must be true or false (got "true" in fmi.json)');
    expect(error.message).toContain('model.S3.bandwidth must be a number > 0 (MB/s) (got 0 in fmi.json)');
  });

  it('rejects unknown keys at every level, including sections only a fork of FMI reads', () => {
    const doc = upstream();
    doc.fault_tolerance = { enabled: false };
    doc.backends.Redis.password = 'x';
    doc.backends.SQS = { enabled: true };
    doc.model.Direct.latency = 1;
    const error = configErrorOf(() => parseConfigObject(doc, 'fmi.json'));
    expect(error.field).toBe('fault_tolerance');
    expect(error.message).toContain(
      'fault_tolerance is not a known key (in fmi.json) — an FMI-original file (recognised by "backends") holds only "backends" and "model"',
    );
    expect(error.message).toContain('backends.Redis.password is not a known key (in fmi.json)');
    expect(error.message).toContain('backends.SQS is not a known key (in fmi.json) — did you mean "S3"?');
    expect(error.message).toContain('model.Direct.latency is not a known key (in fmi.json)');
  });

  it('points an SMI-era "performance" section at its new name', () => {
    const error = configErrorOf(() => parseConfigObject({ backends: {}, performance: {} }, 'fmi.json'));
    expect(error.field).toBe('performance');
    expect(error.message).toContain('this is the SMI-era name of "model": rename it to "model"');
  });

  it('requires the connection fields of an enabled backend', () => {
    const error = configErrorOf(() => parseConfigObject({ backends: { Redis: { enabled: true, port: 6379 } } }, 'fmi.json'));
    expect(error.field).toBe('backends.Redis.host');
    expect(error.message).toBe(
      '[fmi] config: backends.Redis.host is required when the Redis backend is enabled (in fmi.json) — set it, or set "enabled": false',
    );
    // A disabled backend may be incomplete: FMI never reads it.
    expect(parseConfigObject({ backends: { Redis: { enabled: false } } }, 'fmi.json')).toEqual({ channels: {} });
  });

  it('rejects a backend given twice in different case, and a backends section that is not an object', () => {
    const twice = configErrorOf(() => parseConfigObject({ backends: { Redis: { enabled: false }, redis: { enabled: false } } }, 'fmi.json'));
    expect(twice.field).toBe('backends.redis');
    expect(twice.message).toContain('repeats the Redis section (also given as "Redis")');
    const notObject = configErrorOf(() => parseConfigObject({ backends: ['Redis'] }, 'fmi.json'));
    expect(notObject.field).toBe('backends');
    expect(notObject.message).toContain('backends must be an object of "S3", "Redis", "Direct" sections (got ["Redis"] in fmi.json)');
  });
});

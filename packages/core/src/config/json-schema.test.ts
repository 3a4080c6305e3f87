import { describe, expect, it } from 'vitest';
import { buildConfigJsonSchema } from './json-schema.js';
import { configSchema } from './schema.js';

/** The JSON Schema keywords the generated schema uses (checked by KNOWN_KEYWORDS below). */
interface Schema {
  [keyword: string]: unknown;
  type?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  propertyNames?: Schema;
  required?: string[];
  enum?: unknown[];
  pattern?: string;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  exclusiveMaximum?: number;
}

/**
 * Just enough of a JSON Schema validator for the keywords the generated schema uses, so the test
 * checks what an editor would check, without a validator dependency in core. Unknown keywords fail
 * the test rather than being ignored, so a schema change cannot slip past it.
 */
const KNOWN_KEYWORDS = new Set([
  '$schema',
  '$id',
  'title',
  'description',
  'type',
  'properties',
  'additionalProperties',
  'propertyNames',
  'required',
  'enum',
  'pattern',
  'minimum',
  'exclusiveMinimum',
  'maximum',
  'exclusiveMaximum',
]);

function validate(schema: Schema, value: unknown, path = '$'): string[] {
  for (const keyword of Object.keys(schema)) if (!KNOWN_KEYWORDS.has(keyword)) throw new Error(`validator does not know "${keyword}" at ${path}`);
  const errors: string[] = [];
  const type = schema.type;
  if (type === 'object') {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${path}: not an object`];
    const record = value as Record<string, unknown>;
    for (const key of schema.required ?? []) if (!(key in record)) errors.push(`${path}.${key}: required`);
    for (const [key, inner] of Object.entries(record)) {
      if (schema.propertyNames !== undefined) errors.push(...validate(schema.propertyNames, key, `${path}[key ${key}]`));
      const propertySchema = schema.properties?.[key];
      if (propertySchema !== undefined) errors.push(...validate(propertySchema, inner, `${path}.${key}`));
      else if (schema.additionalProperties === false) errors.push(`${path}.${key}: not allowed`);
      else if (typeof schema.additionalProperties === 'object') errors.push(...validate(schema.additionalProperties, inner, `${path}.${key}`));
    }
    return errors;
  }
  if (type === 'string' && typeof value !== 'string') return [`${path}: not a string`];
  if (type === 'number' && typeof value !== 'number') return [`${path}: not a number`];
  if (type === 'integer' && !Number.isInteger(value)) return [`${path}: not an integer`];
  if (type === 'boolean' && typeof value !== 'boolean') return [`${path}: not a boolean`];
  if (schema.enum !== undefined && !schema.enum.includes(value)) errors.push(`${path}: not one of ${schema.enum}`);
  if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value as string)) errors.push(`${path}: does not match ${schema.pattern}`);
  const n = value as number;
  if (schema.minimum !== undefined && n < schema.minimum) errors.push(`${path}: < ${schema.minimum}`);
  if (schema.exclusiveMinimum !== undefined && n <= schema.exclusiveMinimum) errors.push(`${path}: <= ${schema.exclusiveMinimum}`);
  if (schema.maximum !== undefined && n > schema.maximum) errors.push(`${path}: > ${schema.maximum}`);
  if (schema.exclusiveMaximum !== undefined && n >= schema.exclusiveMaximum) errors.push(`${path}: >= ${schema.exclusiveMaximum}`);
  return errors;
}

const GOOD = {
  $schema: './node_modules/@fmi/core/dist/fmi.schema.json',
  job: 'train-42',
  hint: 'fast',
  channel: 'redis',
  timeoutMs: 30_000,
  memoryMiB: 2048,
  logLevel: 'info',
  channels: { redis: { url: 'redis://cache:6379' }, 'azure-blob': { container: 'fmi' } },
  model: {
    functionPerGiBSecond: 0.0000166667,
    functionPerRequest: 0.0000002,
    channels: { s3: { latencyMs: 40.4, bandwidthBytesPerMs: 50_000, pricePerRequest: { put: 0.000005, get: 0.0000004 }, pricePerHour: 0 } },
  },
};

describe('the published JSON Schema', () => {
  const schema = buildConfigJsonSchema('1.2.3') as Schema;

  it('is a draft 2020-12 object schema with an $id, a title and no extra properties', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.$id).toBe('https://unpkg.com/@fmi/core@1.2.3/dist/fmi.schema.json');
    expect(schema.title).toBe('FMI configuration (fmi.json)');
    expect(typeof schema.description).toBe('string');
    expect(schema.type).toBe('object');
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties ?? {}).sort()).toEqual(
      ['$schema', 'channel', 'channels', 'hint', 'job', 'logLevel', 'memoryMiB', 'model', 'timeoutMs'].sort(),
    );
    expect(schema.required).toBeUndefined();
  });

  it('describes the top-level fields an editor completes, with their environment variables', () => {
    const properties = schema.properties ?? {};
    expect(properties.hint).toMatchObject({ type: 'string', enum: ['fast', 'cheap'] });
    expect(properties.timeoutMs).toMatchObject({ type: 'integer', exclusiveMinimum: 0, maximum: 86_400_000 });
    expect(properties.timeoutMs?.description).toContain('FMI_TIMEOUT_MS');
    expect(properties.model).toMatchObject({ type: 'object', additionalProperties: false });
  });

  it('accepts a good example', () => {
    expect(validate(schema, GOOD)).toEqual([]);
  });

  it.each([
    ['an unknown top-level key', { ...GOOD, timeoutMS: 5 }, '$.timeoutMS: not allowed'],
    ['a bad hint', { ...GOOD, hint: 'slow' }, '$.hint: not one of fast,cheap'],
    ['a negative latency', { model: { channels: { s3: { latencyMs: -1 } } } }, '$.model.channels.s3.latencyMs: < 0'],
    ['an unknown model key', { model: { channels: { s3: { latency: 1 } } } }, '$.model.channels.s3.latency: not allowed'],
    ['an upper-case channel name', { channels: { Redis: {} } }, '$.channels[key Redis]: does not match ^[a-z][a-z0-9-]{0,62}$'],
    ['a fractional timeout', { timeoutMs: 1.5 }, '$.timeoutMs: not an integer'],
  ])('rejects %s', (_what, example, expected) => {
    expect(validate(schema, example)).toContain(expected);
  });

  it('agrees with the runtime validation on every example', () => {
    const examples: unknown[] = [
      GOOD,
      {},
      { timeoutMs: 0 },
      { memoryMiB: 2 ** 21 },
      { job: '-starts-with-dash' },
      { channels: { s3: 'bucket' } },
      { model: { channels: { redis: { bandwidthBytesPerMs: 0 } } } },
      { model: { channels: { redis: { concurrency: 4, pollDelayMs: 0.5, aggregateBandwidthBytesPerMs: 400_000 } } } },
      { logLevel: 'verbose' },
    ];
    for (const example of examples) {
      expect(validate(schema, example).length === 0, JSON.stringify(example)).toBe(configSchema.safeParse(example).success);
    }
  });
});

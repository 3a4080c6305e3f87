import { z } from 'zod';

/**
 * The configuration schema: one source for validation (unknown keys rejected, every error with the
 * path of the field) and for the published JSON Schema (`@fmi/core/fmi.schema.json`).
 *
 * Every check carries its own `error` text ("must be ..."): the loader prefixes it with the dotted
 * path and suffixes the value and where it came from, so a message reads
 * `timeoutMs must be a positive integer (got "abc" from FMI_TIMEOUT_MS)`. The `describe()` texts
 * become the descriptions an editor shows from the JSON Schema.
 *
 * Channel sections (`channels.<name>`) are open here: each channel provider validates its own
 * section strictly when it is created, so a third-party channel brings its own settings.
 */

/** A number check whose every failure (type, finiteness, range) reads the same: `must be <what>`. */
function numberField(what: string, shape: (n: z.ZodNumber, error: { error: string }) => z.ZodNumber): z.ZodNumber {
  const error = { error: `must be ${what}` };
  return shape(z.number(error), error);
}

const nonNegative = (what = 'a number >= 0') => numberField(what, (n, e) => n.nonnegative(e));
const positive = (what = 'a number > 0') => numberField(what, (n, e) => n.positive(e));
const positiveInt = (what = 'a positive integer') => numberField(what, (n, e) => n.int(e).positive(e));

/**
 * Channel names as they appear in `channels`, `channel` and `model.channels`: lower case, like the
 * names channels register (`direct`, `redis`, `s3`, `azure-blob`). A capitalised `Redis` would
 * otherwise be accepted and then silently match no channel.
 */
export const channelNameSchema = z.string({ error: 'must be a channel name (a string)' }).regex(/^[a-z][a-z0-9-]{0,62}$/, {
  error: 'must be a channel name: lower-case letters, digits and "-", starting with a letter (e.g. "redis", "azure-blob")',
});

export const hintSchema = z.enum(['fast', 'cheap'], { error: 'must be "fast" or "cheap"' });
export type Hint = z.infer<typeof hintSchema>;

export const logLevelSchema = z.enum(['silent', 'error', 'warn', 'info', 'debug'], {
  error: 'must be one of "silent", "error", "warn", "info", "debug"',
});
export type LogLevel = z.infer<typeof logLevelSchema>;

const requestPrices = z
  .object(
    {
      put: nonNegative('a price >= 0 (US$ per request)'),
      get: nonNegative('a price >= 0 (US$ per request)'),
      list: nonNegative('a price >= 0 (US$ per request)'),
      delete: nonNegative('a price >= 0 (US$ per request)'),
      increment: nonNegative('a price >= 0 (US$ per request)'),
    },
    { error: 'must be an object of prices by request type, e.g. { "put": 0.000005, "get": 0.0000004 }' },
  )
  .partial()
  .strict();

/** Overrides of a channel's model parameters (see `ChannelModel`). */
export const channelModelSchema = z
  .object(
    {
      latencyMs: nonNegative('a number of milliseconds >= 0').describe('Fixed time of one message or request (alpha), ms.'),
      bandwidthBytesPerMs: positive('a number of bytes per millisecond > 0 (1 MB/s = 1000)').describe(
        'Throughput of one transfer (beta), bytes per ms (1 MB/s = 1000 B/ms).',
      ),
      aggregateBandwidthBytesPerMs: positive('a number of bytes per millisecond > 0 (1 MB/s = 1000)').describe(
        'Ceiling of the throughput of all concurrent transfers through the service together, bytes per ms ' +
          "(FMI's bandwidth_multiple). Absent: transfers do not slow each other down.",
      ),
      concurrency: positiveInt().describe('Requests one rank keeps in flight at once (object channels).'),
      pollDelayMs: nonNegative('a number of milliseconds >= 0').describe('Extra wait of a polled get over a notified one (half the poll interval), ms.'),
      pricePerRequest: requestPrices.describe('Price of one request by type, US$.'),
      pricePerByte: nonNegative('a price >= 0 (US$ per byte)').describe('Price per byte moved, US$.'),
      pricePerHour: nonNegative('a price >= 0 (US$ per hour)').describe(
        'Price per hour of infrastructure that runs for the job (a Redis node, a rendezvous VM), US$.',
      ),
    },
    { error: 'must be an object of model parameters, e.g. { "latencyMs": 5, "bandwidthBytesPerMs": 100000 }' },
  )
  .partial()
  .strict();

export const modelSchema = z
  .object(
    {
      /** Price of one GiB-second of function memory (US$). */
      functionPerGiBSecond: nonNegative('a price >= 0 (US$ per GiB-second)')
        .optional()
        .describe('Price of one GiB-second of function memory, US$ (AWS Lambda: 0.0000166667).'),
      /** Price of one function invocation (US$). */
      functionPerRequest: nonNegative('a price >= 0 (US$ per invocation)').optional().describe('Price of one function invocation, US$.'),
      /** Per-channel overrides of the model, by channel name (a calibration profile writes these). */
      channels: z
        .record(channelNameSchema, channelModelSchema, {
          error: 'must be an object of model parameters by channel name, e.g. { "s3": { "latencyMs": 40 } }',
        })
        .optional()
        .describe("Overrides of the channels' model parameters, by channel name (`fmi calibrate` writes these)."),
    },
    { error: 'must be an object, e.g. { "functionPerGiBSecond": 0.0000166667 }' },
  )
  .strict();

export const configSchema = z
  .object(
    {
      $schema: z
        .string({ error: 'must be a string (the URL or path of the JSON Schema)' })
        .optional()
        .describe('URL or path of this JSON Schema, for editors; ignored by FMI.'),
      /** Job id; normally set by the launcher (FMI_JOB). */
      job: z
        .string({ error: 'must be a string' })
        .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, {
          error: 'must be letters, digits, ".", "_" and "-", at most 128, starting with a letter or digit',
        })
        .optional()
        .describe('Job id that scopes every key and pairing; normally set by the launcher (FMI_JOB).'),
      /** Default hint when an operation gives none. */
      hint: hintSchema.optional().describe('Default hint of every operation: "fast" (least time) or "cheap" (least cost). FMI_HINT.'),
      /** Force one channel by name for every operation (FMI_CHANNEL). */
      channel: channelNameSchema.optional().describe('Use this channel for every operation instead of asking the policy. FMI_CHANNEL.'),
      /** Default deadline of every operation, ms (FMI_TIMEOUT_MS). */
      timeoutMs: numberField('a positive integer', (n, e) => n.int(e).positive(e))
        .max(24 * 3600 * 1000, { error: 'must be at most 86400000 (24 hours)' })
        .optional()
        .describe('Default deadline of every operation, ms. FMI_TIMEOUT_MS.'),
      /** Memory of one function instance, for the cost model. */
      memoryMiB: numberField('a positive integer', (n, e) => n.int(e).positive(e))
        .max(1024 * 1024, { error: 'must be at most 1048576 (1 TiB)' })
        .optional()
        .describe('Memory of one function instance, MiB; the cost model charges GiB-seconds from it. FMI_MEMORY_MIB.'),
      logLevel: logLevelSchema.optional().describe('Least severe log level written. FMI_LOG_LEVEL.'),
      /** Settings of each channel, by channel name; each provider validates its own section. */
      channels: z
        .record(
          channelNameSchema,
          z.record(z.string(), z.unknown(), { error: 'must be an object: the settings of this channel, e.g. { "url": "redis://cache:6379" }' }),
          { error: 'must be an object of channel settings by channel name, e.g. { "redis": { "url": "redis://cache:6379" } }' },
        )
        .optional()
        .describe('Settings of each channel, by channel name; each provider documents and validates its own section.'),
      model: modelSchema.optional().describe('Overrides of the performance and cost model.'),
    },
    { error: 'must be a JSON object' },
  )
  .strict();

export type FmiConfigInput = z.input<typeof configSchema>;

/** The merged, validated configuration every part of FMI reads. Defaults filled in. */
export interface FmiConfig {
  readonly job: string | undefined;
  readonly hint: Hint;
  readonly channel: string | undefined;
  readonly timeoutMs: number;
  readonly memoryMiB: number;
  readonly logLevel: LogLevel;
  readonly channels: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly model: z.infer<typeof modelSchema>;
}

export const CONFIG_DEFAULTS = {
  hint: 'cheap',
  timeoutMs: 60_000,
  memoryMiB: 2048,
  logLevel: 'warn',
} as const;

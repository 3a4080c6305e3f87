import { z } from 'zod';
import { type ConfigOrigin, type ConfigProblem, configError, problemsFromZod, unknownKeyProblem } from './config-error.js';
import type { FmiConfigInput } from './schema.js';

/**
 * FMI's original `fmi.json` (spcl/fmi, the C++ library), translated into our configuration so a
 * file written for FMI runs unchanged. The original has two sections:
 *
 *   "backends": { "S3":     { enabled, bucket_name, s3_region, timeout, max_timeout },
 *                 "Redis":  { enabled, host, port, timeout, max_timeout },
 *                 "Direct": { enabled, host, port, max_timeout } }
 *   "model":    { "FaaS":   { gib_second_price },
 *                 "S3":     { bandwidth, overhead, transfer_price, download_price, upload_price },
 *                 "Redis":  { bandwidth_single, bandwidth_multiple, overhead, transfer_price,
 *                             instance_price, requests_per_hour, include_infrastructure_costs },
 *                 "Direct": { bandwidth, overhead, transfer_price, vm_price, requests_per_hour,
 *                             include_infrastructure_costs } }
 *
 * Units in the original, from its model code (`get_latency`, `get_price` of each channel):
 * `overhead` is milliseconds, `bandwidth*` is MB/s with MB = 10^6 bytes, `transfer_price` is US$
 * per GB (10^9 bytes), `download_price`/`upload_price` are US$ per GET/PUT request,
 * `instance_price`/`vm_price` are US$ per hour, `gib_second_price` is US$ per GiB-second,
 * `timeout` is the poll interval in ms and `max_timeout` the longest wait of one operation in ms.
 *
 * FMI reads every value loosely (boost property_tree, unknown keys ignored); here every key is
 * checked, because a key FMI ignored silently is exactly the kind of mistake that turns into a
 * job that hangs. Backend names match FMI's spelling ("S3", "Redis", "Direct", "FaaS") or the same
 * in lower case.
 */

/** True when `value` is in the original format, recognised by its `backends` section. */
export function isFmiOriginalConfig(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, 'backends');
}

const msg = (what: string) => ({ error: `must be ${what}` });
const enabled = z.boolean(msg('true or false'));
const text = (what: string) => z.string(msg(what)).min(1, msg(what));
const host = text('a host name or IP address (a non-empty string)');
const port = z
  .number(msg('a port number (an integer from 1 to 65535)'))
  .int(msg('a port number (an integer from 1 to 65535)'))
  .min(1, msg('a port number (an integer from 1 to 65535)'))
  .max(65535, msg('a port number (an integer from 1 to 65535)'));
// Capped like our timeoutMs (24 h), which max_timeout becomes.
const MILLIS = msg('a positive integer of milliseconds, at most 86400000');
const millis = z.number(MILLIS).int(MILLIS).positive(MILLIS).max(86_400_000, MILLIS);
const megabytesPerSecond = z.number(msg('a number > 0 (MB/s)')).positive(msg('a number > 0 (MB/s)'));
const overheadMs = z.number(msg('a number >= 0 (milliseconds)')).nonnegative(msg('a number >= 0 (milliseconds)'));
const price = (unit: string) => z.number(msg(`a price >= 0 (US$ ${unit})`)).nonnegative(msg(`a price >= 0 (US$ ${unit})`));
const requestsPerHour = z
  .number(msg('a positive integer (requests per hour)'))
  .int(msg('a positive integer (requests per hour)'))
  .positive(msg('a positive integer (requests per hour)'));
const section = <S extends z.ZodRawShape>(shape: S) => z.object(shape, msg('an object')).partial().strict();

const BACKENDS = {
  S3: section({
    enabled,
    bucket_name: text('a bucket name (a non-empty string)'),
    s3_region: text('an AWS region (a non-empty string)'),
    timeout: millis,
    max_timeout: millis,
  }),
  Redis: section({ enabled, host, port, timeout: millis, max_timeout: millis }),
  Direct: section({ enabled, host, port, max_timeout: millis }),
};

const MODELS = {
  FaaS: section({ gib_second_price: price('per GiB-second') }),
  S3: section({
    bandwidth: megabytesPerSecond,
    overhead: overheadMs,
    transfer_price: price('per GB'),
    download_price: price('per request'),
    upload_price: price('per request'),
  }),
  Redis: section({
    bandwidth_single: megabytesPerSecond,
    bandwidth_multiple: megabytesPerSecond,
    overhead: overheadMs,
    transfer_price: price('per GB'),
    instance_price: price('per hour'),
    requests_per_hour: requestsPerHour,
    include_infrastructure_costs: enabled,
  }),
  Direct: section({
    bandwidth: megabytesPerSecond,
    overhead: overheadMs,
    transfer_price: price('per GB'),
    vm_price: price('per hour'),
    requests_per_hour: requestsPerHour,
    include_infrastructure_costs: enabled,
  }),
};

/** Which fields each backend needs when enabled (FMI crashes or misbehaves without them). */
const REQUIRED_WHEN_ENABLED: Record<keyof typeof BACKENDS, readonly string[]> = {
  S3: ['bucket_name'],
  Redis: ['host', 'port'],
  Direct: ['host', 'port'],
};

type Sections<T> = { [K in keyof T]?: { key: string; value: z.output<T[K] & z.ZodType> } };

/**
 * Translates an original-format document. Every problem is collected first and reported together
 * (`config` error, `field` = dotted path such as `backends.Redis.port`), then the result is plain
 * FMI-TS input that the caller validates and merges like any other file.
 */
export function translateFmiOriginal(document: unknown, origin: ConfigOrigin): FmiConfigInput {
  const problems: ConfigProblem[] = [];
  const root = document as Record<string, unknown>;
  for (const key of Object.keys(root)) {
    if (key === 'backends' || key === 'model') continue;
    problems.push(unknownKeyProblem([key], ['backends', 'model'], topLevelAdvice(key, origin)));
  }
  const backends = readSections('backends', root.backends, BACKENDS, problems, true);
  const models = root.model === undefined ? {} : readSections('model', root.model, MODELS, problems, false);

  for (const [name, required] of Object.entries(REQUIRED_WHEN_ENABLED) as Array<[keyof typeof BACKENDS, readonly string[]]>) {
    const found = backends[name];
    if (found === undefined || found.value.enabled === false) continue;
    for (const field of required) {
      if ((found.value as Record<string, unknown>)[field] === undefined) {
        problems.push({
          path: ['backends', found.key, field],
          problem: `is required when the ${name} backend is enabled`,
          showValue: false,
          advice: `set it, or set "enabled": false`,
        });
      }
    }
  }
  if (problems.length > 0) throw configError(problems, document, origin);
  return translate(backends, models);
}

function topLevelAdvice(key: string, origin: ConfigOrigin): string | undefined {
  if (key === 'performance') return 'this is the SMI-era name of "model": rename it to "model"';
  return `an FMI-original file (recognised by "backends") holds only "backends" and "model"; ${origin.removeHint([key])} and set it through FMI_* variables or options, or write the file in the FMI-TS format`;
}

/**
 * Validates one section (`backends` or `model`): its keys are backend names, matched to FMI's
 * spelling case-insensitively, and each value is checked with that backend's schema.
 */
function readSections<T extends Record<string, z.ZodType>>(
  sectionName: string,
  value: unknown,
  schemas: T,
  problems: ConfigProblem[],
  required: boolean,
): Sections<T> {
  const out: Record<string, { key: string; value: unknown }> = {};
  const names = Object.keys(schemas);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const what = `an object of ${names.map((n) => `"${n}"`).join(', ')} sections`;
    if (value !== undefined || required) problems.push({ path: [sectionName], problem: `must be ${what}`, showValue: value !== undefined });
    return out as Sections<T>;
  }
  for (const [key, section] of Object.entries(value)) {
    const name = names.find((n) => n.toLowerCase() === key.toLowerCase());
    if (name === undefined) {
      problems.push(unknownKeyProblem([sectionName, key], names));
      continue;
    }
    if (out[name] !== undefined) {
      problems.push({
        path: [sectionName, key],
        problem: `repeats the ${name} section (also given as "${out[name].key}")`,
        showValue: false,
        advice: 'keep one of them',
      });
      continue;
    }
    const schema = schemas[name];
    const result = schema.safeParse(section);
    if (result.success) out[name] = { key, value: result.data };
    else for (const p of problemsFromZod(result.error, schema)) problems.push({ ...p, path: [sectionName, key, ...p.path] });
  }
  return out as Sections<T>;
}

type BackendValues = Sections<typeof BACKENDS>;
type ModelValues = Sections<typeof MODELS>;

/** Builds the FMI-TS input from validated sections. The mapping is documented in the package README. */
function translate(backends: BackendValues, models: ModelValues): FmiConfigInput {
  const channels: Record<string, Record<string, unknown>> = {};
  // An enabled backend without `enabled` counts as enabled, as in FMI's Configuration reader.
  const on = <V extends { enabled?: boolean }>(b: { value: V } | undefined): V | undefined =>
    b !== undefined && b.value.enabled !== false ? b.value : undefined;
  const s3 = on(backends.S3);
  const redis = on(backends.Redis);
  const direct = on(backends.Direct);
  if (s3 !== undefined) channels.s3 = { bucket: s3.bucket_name, ...(s3.s3_region !== undefined && { region: s3.s3_region }) };
  if (redis !== undefined) channels.redis = { url: `redis://${hostPort(redis.host as string, redis.port as number)}` };
  if (direct !== undefined) channels.direct = { rendezvous: `tcp://${hostPort(direct.host as string, direct.port as number)}` };

  // FMI's max_timeout bounds each wait of one operation on that backend. Our deadline is one per
  // operation for every channel, so take the longest: no operation may fail sooner than FMI let it.
  // `timeout` (FMI's poll interval) has no counterpart: our S3 channel polls with its own backoff
  // and Redis waits on notifications.
  const maxTimeouts = [s3?.max_timeout, redis?.max_timeout, direct?.max_timeout].filter((t): t is number => t !== undefined);

  const modelChannels: Record<string, Record<string, unknown>> = {};
  const s3Model = models.S3?.value;
  if (s3Model !== undefined) {
    modelChannels.s3 = compact({
      latencyMs: s3Model.overhead,
      bandwidthBytesPerMs: mbPerSecond(s3Model.bandwidth),
      pricePerByte: perGB(s3Model.transfer_price),
      pricePerRequest:
        s3Model.upload_price !== undefined || s3Model.download_price !== undefined
          ? compact({ put: s3Model.upload_price, get: s3Model.download_price })
          : undefined,
    });
  }
  const redisModel = models.Redis?.value;
  if (redisModel !== undefined) {
    modelChannels.redis = compact({
      latencyMs: redisModel.overhead,
      bandwidthBytesPerMs: mbPerSecond(redisModel.bandwidth_single),
      aggregateBandwidthBytesPerMs: mbPerSecond(redisModel.bandwidth_multiple),
      pricePerByte: perGB(redisModel.transfer_price),
      pricePerHour: infrastructure(redisModel.instance_price, redisModel.include_infrastructure_costs),
    });
  }
  const directModel = models.Direct?.value;
  if (directModel !== undefined) {
    modelChannels.direct = compact({
      latencyMs: directModel.overhead,
      bandwidthBytesPerMs: mbPerSecond(directModel.bandwidth),
      pricePerByte: perGB(directModel.transfer_price),
      pricePerHour: infrastructure(directModel.vm_price, directModel.include_infrastructure_costs),
    });
  }
  const model = compact({
    functionPerGiBSecond: models.FaaS?.value.gib_second_price,
    channels: Object.keys(modelChannels).length > 0 ? modelChannels : undefined,
  });

  return compact({
    channels,
    timeoutMs: maxTimeouts.length > 0 ? Math.max(...maxTimeouts) : undefined,
    model: Object.keys(model).length > 0 ? model : undefined,
  }) as FmiConfigInput;
}

/** `host:port`, with an IPv6 literal in brackets as URLs require. */
function hostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** MB/s (10^6 bytes) to bytes per ms: 1 MB/s = 1,000 B/ms. */
function mbPerSecond(value: number | undefined): number | undefined {
  return value === undefined ? undefined : value * 1000;
}

/** US$ per GB (10^9 bytes) to US$ per byte. */
function perGB(value: number | undefined): number | undefined {
  return value === undefined ? undefined : value / 1e9;
}

/**
 * FMI counts an instance's hourly price only with `include_infrastructure_costs: true`; absent or
 * false, it counts nothing, and so do we (an explicit 0, overriding the channel's own default).
 * `requests_per_hour` is checked but not carried over: FMI spreads the hourly price over that many
 * operations, an assumption about load that our model does not make (it has its own rule for
 * `pricePerHour`, see the model).
 */
function infrastructure(pricePerHour: number | undefined, include: boolean | undefined): number | undefined {
  if (include === true) return pricePerHour;
  return pricePerHour !== undefined || include === false ? 0 : undefined;
}

/** The object without its undefined entries, so absent FMI keys leave our defaults alone. */
function compact<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

import { describeOptionValue, optionChecks } from '../config/check-options.js';
import { FmiError } from '../errors.js';
import type { LaunchResult, LaunchSpec, PlatformProvider } from '../tokens.js';
import { type InvocationHeaders, launchOverHttp } from './http-launcher.js';

/** Options of a platform that starts ranks by POSTing to an HTTP-triggered function (`gcp({ functions })`, `azure({ functions })`). */
export interface HttpFunctionsPlatformOptions {
  /**
   * Base URL that `LaunchSpec.entry` (a function name) is appended to. An entry that is itself an
   * http(s) URL is used as it is.
   */
  readonly baseUrl?: string;
  /**
   * Invocations in flight at once; default 100. Every rank must run at the same time, so a job
   * larger than this fails before it starts: keep it at or below the function's max instances.
   */
  readonly maxConcurrency?: number;
  /** Attempts per rank on 429/503 or a refused connection; default 5. */
  readonly maxAttempts?: number;
  /** Deadline of one rank's invocation, ms; the default is the platform's (its request limit plus slack). */
  readonly timeoutMs?: number;
  /** Extra request headers, or a function returning them per request — for a function that requires authentication. */
  readonly headers?: InvocationHeaders;
  /** The JSON `input` given to rank `rank`'s handler; default none. */
  readonly input?: (rank: number) => unknown;
}

/** What differs between two HTTP functions platforms: the name, the default deadline, and what a base URL looks like. */
export interface HttpFunctionsPlatformSpec {
  /** The platform's name: `gcp-functions`, `azure-functions`. */
  readonly name: string;
  /** Deadline of one rank's invocation when the options give none, ms. */
  readonly defaultTimeoutMs: number;
  /** A base URL as the user would write it, for the message of an entry that needs one. */
  readonly baseUrlExample: string;
}

const KEYS = ['baseUrl', 'maxConcurrency', 'maxAttempts', 'timeoutMs', 'headers', 'input'] as const;

/** Checks platform options strictly; `path` prefixes field names in errors (`gcp.functions.maxConcurrency`). */
export function checkHttpFunctionsOptions(platform: string, input: unknown, path: string): HttpFunctionsPlatformOptions {
  if (input === undefined) return {};
  const check = optionChecks(platform);
  const record = check.record(input, path, KEYS);
  if (record.baseUrl !== undefined) check.httpUrl(record.baseUrl, `${path}.baseUrl`);
  if (record.maxConcurrency !== undefined) check.int(record.maxConcurrency, `${path}.maxConcurrency`, 1, 100_000);
  if (record.maxAttempts !== undefined) check.int(record.maxAttempts, `${path}.maxAttempts`, 1, 100);
  if (record.timeoutMs !== undefined) check.int(record.timeoutMs, `${path}.timeoutMs`, 1, 24 * 3600 * 1000);
  if (record.headers !== undefined && typeof record.headers !== 'function') {
    const headers = check.record(record.headers, `${path}.headers`, Object.keys(record.headers as object));
    for (const [name, value] of Object.entries(headers)) {
      if (typeof value !== 'string') throw check.error(`${path}.headers.${name}`, `expected a string, got ${describeOptionValue(value)}`);
    }
  }
  if (record.input !== undefined && typeof record.input !== 'function')
    throw check.error(`${path}.input`, `expected a function (rank) => input, got ${describeOptionValue(record.input)}`);
  return record as HttpFunctionsPlatformOptions;
}

/**
 * A platform that starts the N ranks of a job by POSTing an `FmiInvocation` to an HTTP-triggered
 * function, all at once, and reports each rank's JSON answer (`launchOverHttp`). Options are
 * checked here, when the provider module is built, not at the first launch.
 */
export function httpFunctionsPlatform(spec: HttpFunctionsPlatformSpec, options: HttpFunctionsPlatformOptions, optionsPath: string): PlatformProvider {
  const checked = checkHttpFunctionsOptions(spec.name, options, optionsPath);
  return {
    name: spec.name,
    launch(launch: LaunchSpec): Promise<LaunchResult> {
      return launchOverHttp(launch, {
        platform: spec.name,
        optionsPath,
        url: functionUrl(spec, launch.entry, checked.baseUrl, optionsPath),
        maxConcurrency: checked.maxConcurrency ?? 100,
        maxAttempts: checked.maxAttempts ?? 5,
        timeoutMs: checked.timeoutMs ?? spec.defaultTimeoutMs,
        ...(checked.headers ? { headers: checked.headers } : {}),
        ...(checked.input ? { input: checked.input } : {}),
      });
    },
  };
}

function functionUrl(spec: HttpFunctionsPlatformSpec, entry: string, baseUrl: string | undefined, optionsPath: string): string {
  if (/^https?:\/\//.test(entry)) return entry;
  if (!baseUrl) {
    throw new FmiError(
      'config',
      `[${spec.name}] ${optionsPath}.baseUrl: entry "${entry}" is a function name, so a baseUrl such as ${spec.baseUrlExample} is needed (or pass the function's full URL as entry)`,
      { field: `${optionsPath}.baseUrl` },
    );
  }
  if (!/^[A-Za-z0-9_-]+$/.test(entry))
    throw new FmiError('invalid-argument', `[${spec.name}] entry: "${entry}" is neither a URL nor a function name`, { field: 'entry' });
  return new URL(entry, baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`).toString();
}

import { FmiError, type InvocationHeaders, type LaunchResult, type LaunchSpec, launchOverHttp, type PlatformProvider } from '@fmi/core';
import { checkHttpUrl, checkInt, checkRecord, configError, describeValue } from '../settings-check.js';

/** Options of the `gcp-functions` platform (`gcp({ functions })`). */
export interface CloudFunctionsPlatformOptions {
  /**
   * Base URL that `LaunchSpec.entry` (a function name) is appended to, e.g.
   * `https://us-central1-my-project.cloudfunctions.net/`. An entry that is itself an http(s) URL
   * (a gen2 / Cloud Run URL) is used as it is.
   */
  readonly baseUrl?: string;
  /**
   * Invocations in flight at once; default 100. Every rank must run at the same time, so a job
   * larger than this fails before it starts: keep it at or below the function's max instances.
   */
  readonly maxConcurrency?: number;
  /** Attempts per rank on 429/503 or a refused connection; default 5. */
  readonly maxAttempts?: number;
  /** Deadline of one rank's invocation, ms; default 570,000 (gen1's 540 s limit plus slack). */
  readonly timeoutMs?: number;
  /**
   * Extra request headers, or a function returning them per request — for a function that requires
   * authentication: `() => ({ authorization: \`Bearer ${idToken}\` })` (an ID token for the function's URL).
   */
  readonly headers?: InvocationHeaders;
  /** The JSON `input` given to rank `rank`'s handler; default none. */
  readonly input?: (rank: number) => unknown;
}

export const CLOUD_FUNCTIONS_PLATFORM_KEYS = ['baseUrl', 'maxConcurrency', 'maxAttempts', 'timeoutMs', 'headers', 'input'] as const;

/** Checks platform options strictly; `path` prefixes field names in errors. */
export function checkCloudFunctionsOptions(input: unknown, path: string): CloudFunctionsPlatformOptions {
  if (input === undefined) return {};
  const record = checkRecord('gcp-functions', input, path, CLOUD_FUNCTIONS_PLATFORM_KEYS);
  if (record.baseUrl !== undefined) checkHttpUrl('gcp-functions', record.baseUrl, `${path}.baseUrl`);
  if (record.maxConcurrency !== undefined) checkInt('gcp-functions', record.maxConcurrency, `${path}.maxConcurrency`, 1, 100_000);
  if (record.maxAttempts !== undefined) checkInt('gcp-functions', record.maxAttempts, `${path}.maxAttempts`, 1, 100);
  if (record.timeoutMs !== undefined) checkInt('gcp-functions', record.timeoutMs, `${path}.timeoutMs`, 1, 24 * 3600 * 1000);
  if (record.headers !== undefined && typeof record.headers !== 'function') {
    const headers = checkRecord('gcp-functions', record.headers, `${path}.headers`, Object.keys(record.headers as object));
    for (const [name, value] of Object.entries(headers)) {
      if (typeof value !== 'string') throw configError('gcp-functions', `${path}.headers.${name}`, `expected a string, got ${describeValue(value)}`);
    }
  }
  if (record.input !== undefined && typeof record.input !== 'function')
    throw configError('gcp-functions', `${path}.input`, `expected a function (rank) => input, got ${describeValue(record.input)}`);
  return record as CloudFunctionsPlatformOptions;
}

/**
 * The `gcp-functions` platform: starts the N ranks of a job by POSTing an `FmiInvocation` to an
 * HTTP-triggered Cloud Function written with `fmiHttpFunction`, all at once, and reports each
 * rank's JSON answer. Uses the global `fetch`.
 */
export function cloudFunctionsPlatform(options: CloudFunctionsPlatformOptions = {}, optionsPath = 'gcp.functions'): PlatformProvider {
  const checked = checkCloudFunctionsOptions(options, optionsPath);
  return {
    name: 'gcp-functions',
    launch(spec: LaunchSpec): Promise<LaunchResult> {
      return launchOverHttp(spec, {
        platform: 'gcp-functions',
        optionsPath,
        url: functionUrl(spec.entry, checked.baseUrl, optionsPath),
        maxConcurrency: checked.maxConcurrency ?? 100,
        maxAttempts: checked.maxAttempts ?? 5,
        timeoutMs: checked.timeoutMs ?? 570_000,
        ...(checked.headers ? { headers: checked.headers } : {}),
        ...(checked.input ? { input: checked.input } : {}),
      });
    },
  };
}

function functionUrl(entry: string, baseUrl: string | undefined, optionsPath: string): string {
  if (/^https?:\/\//.test(entry)) return entry;
  if (!baseUrl) {
    throw new FmiError(
      'config',
      `[gcp-functions] ${optionsPath}.baseUrl: entry "${entry}" is a function name, so a baseUrl such as https://REGION-PROJECT.cloudfunctions.net/ is needed (or pass the function's full URL as entry)`,
      {
        field: `${optionsPath}.baseUrl`,
      },
    );
  }
  if (!/^[A-Za-z0-9_-]+$/.test(entry))
    throw new FmiError('invalid-argument', `[gcp-functions] entry: "${entry}" is neither a URL nor a function name`, { field: 'entry' });
  return new URL(entry, baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`).toString();
}

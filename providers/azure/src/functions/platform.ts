import { FmiError, type InvocationHeaders, type LaunchResult, type LaunchSpec, launchOverHttp, type PlatformProvider } from '@fmi/core';
import { checkHttpUrl, checkInt, checkRecord, configError, describeValue } from '../settings-check.js';

/** Options of the `azure-functions` platform (`azure({ functions })`). */
export interface AzureFunctionsPlatformOptions {
  /**
   * Base URL that `LaunchSpec.entry` (a function name) is appended to, e.g.
   * `https://my-app.azurewebsites.net/api/`. An entry that is itself an http(s) URL is used as it is.
   */
  readonly baseUrl?: string;
  /**
   * Invocations in flight at once; default 100. Every rank must run at the same time, so a job
   * larger than this fails before it starts: keep it at or below the function's max instances.
   */
  readonly maxConcurrency?: number;
  /** Attempts per rank on 429/503 or a refused connection; default 5. */
  readonly maxAttempts?: number;
  /**
   * Deadline of one rank's invocation, ms; default 260,000: an HTTP-triggered Azure function must
   * answer within 230 s (the front end's idle timeout) whatever the plan's functionTimeout, plus slack.
   */
  readonly timeoutMs?: number;
  /**
   * Extra request headers, or a function returning them per request — for a function that requires
   * key: `{ 'x-functions-key': process.env.FMI_FUNCTION_KEY }` (authLevel 'function').
   */
  readonly headers?: InvocationHeaders;
  /** The JSON `input` given to rank `rank`'s handler; default none. */
  readonly input?: (rank: number) => unknown;
}

export const AZURE_FUNCTIONS_PLATFORM_KEYS = ['baseUrl', 'maxConcurrency', 'maxAttempts', 'timeoutMs', 'headers', 'input'] as const;

/** Checks platform options strictly; `path` prefixes field names in errors. */
export function checkAzureFunctionsOptions(input: unknown, path: string): AzureFunctionsPlatformOptions {
  if (input === undefined) return {};
  const record = checkRecord('azure-functions', input, path, AZURE_FUNCTIONS_PLATFORM_KEYS);
  if (record.baseUrl !== undefined) checkHttpUrl('azure-functions', record.baseUrl, `${path}.baseUrl`);
  if (record.maxConcurrency !== undefined) checkInt('azure-functions', record.maxConcurrency, `${path}.maxConcurrency`, 1, 100_000);
  if (record.maxAttempts !== undefined) checkInt('azure-functions', record.maxAttempts, `${path}.maxAttempts`, 1, 100);
  if (record.timeoutMs !== undefined) checkInt('azure-functions', record.timeoutMs, `${path}.timeoutMs`, 1, 24 * 3600 * 1000);
  if (record.headers !== undefined && typeof record.headers !== 'function') {
    const headers = checkRecord('azure-functions', record.headers, `${path}.headers`, Object.keys(record.headers as object));
    for (const [name, value] of Object.entries(headers)) {
      if (typeof value !== 'string') throw configError('azure-functions', `${path}.headers.${name}`, `expected a string, got ${describeValue(value)}`);
    }
  }
  if (record.input !== undefined && typeof record.input !== 'function')
    throw configError('azure-functions', `${path}.input`, `expected a function (rank) => input, got ${describeValue(record.input)}`);
  return record as AzureFunctionsPlatformOptions;
}

/**
 * The `azure-functions` platform: starts the N ranks of a job by POSTing an `FmiInvocation` to an
 * HTTP-triggered Azure Function written with `fmiAzureHandler`, all at once, and reports each
 * rank's JSON answer. Uses the global `fetch`.
 */
export function azureFunctionsPlatform(options: AzureFunctionsPlatformOptions = {}, optionsPath = 'azure.functions'): PlatformProvider {
  const checked = checkAzureFunctionsOptions(options, optionsPath);
  return {
    name: 'azure-functions',
    launch(spec: LaunchSpec): Promise<LaunchResult> {
      return launchOverHttp(spec, {
        platform: 'azure-functions',
        optionsPath,
        url: functionUrl(spec.entry, checked.baseUrl, optionsPath),
        maxConcurrency: checked.maxConcurrency ?? 100,
        maxAttempts: checked.maxAttempts ?? 5,
        timeoutMs: checked.timeoutMs ?? 260_000,
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
      `[azure-functions] ${optionsPath}.baseUrl: entry "${entry}" is a function name, so a baseUrl such as https://my-app.azurewebsites.net/api/ is needed (or pass the function's full URL as entry)`,
      {
        field: `${optionsPath}.baseUrl`,
      },
    );
  }
  if (!/^[A-Za-z0-9_-]+$/.test(entry))
    throw new FmiError('invalid-argument', `[azure-functions] entry: "${entry}" is neither a URL nor a function name`, { field: 'entry' });
  return new URL(entry, baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`).toString();
}

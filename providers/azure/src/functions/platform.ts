import { type HttpFunctionsPlatformOptions, httpFunctionsPlatform, type PlatformProvider } from '@fmi/core';

/**
 * Options of the `azure-functions` platform (`azure({ functions })`). `baseUrl` is e.g.
 * `https://my-app.azurewebsites.net/api/`; an entry that is itself an http(s) URL is used as it is.
 * `timeoutMs` defaults to 260,000: an HTTP-triggered Azure function must answer within 230 s (the
 * front end's idle timeout) whatever the plan's functionTimeout, plus slack. For authLevel
 * 'function': `headers: { 'x-functions-key': process.env.FMI_FUNCTION_KEY }`.
 */
export type AzureFunctionsPlatformOptions = HttpFunctionsPlatformOptions;

/**
 * The `azure-functions` platform: starts the N ranks of a job by POSTing an `FmiInvocation` to an
 * HTTP-triggered Azure Function written with `fmiAzureHandler`, all at once, and reports each
 * rank's JSON answer. Uses the global `fetch`.
 */
export function azureFunctionsPlatform(options: AzureFunctionsPlatformOptions = {}, optionsPath = 'azure.functions'): PlatformProvider {
  const spec = { name: 'azure-functions', defaultTimeoutMs: 260_000, baseUrlExample: 'https://my-app.azurewebsites.net/api/' };
  return httpFunctionsPlatform(spec, options, optionsPath);
}

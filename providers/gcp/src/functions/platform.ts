import { type HttpFunctionsPlatformOptions, httpFunctionsPlatform, type PlatformProvider } from '@fmi/core';

/**
 * Options of the `gcp-functions` platform (`gcp({ functions })`). `baseUrl` is e.g.
 * `https://us-central1-my-project.cloudfunctions.net/`; an entry that is itself an http(s) URL (a
 * gen2 / Cloud Run URL) is used as it is. `timeoutMs` defaults to 570,000 (gen1's 540 s limit plus
 * slack). For a function that requires authentication: `headers: () => ({ authorization:
 * \`Bearer ${idToken}\` })` (an ID token for the function's URL).
 */
export type CloudFunctionsPlatformOptions = HttpFunctionsPlatformOptions;

/**
 * The `gcp-functions` platform: starts the N ranks of a job by POSTing an `FmiInvocation` to an
 * HTTP-triggered Cloud Function written with `fmiHttpFunction`, all at once, and reports each
 * rank's JSON answer. Uses the global `fetch`.
 */
export function cloudFunctionsPlatform(options: CloudFunctionsPlatformOptions = {}, optionsPath = 'gcp.functions'): PlatformProvider {
  return httpFunctionsPlatform(
    { name: 'gcp-functions', defaultTimeoutMs: 570_000, baseUrlExample: 'https://REGION-PROJECT.cloudfunctions.net/' },
    options,
    optionsPath,
  );
}

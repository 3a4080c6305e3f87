import { type Deadline, FmiError } from '@fmi/core';

/** What the AWS SDK v3 puts on its errors (service exceptions and transport failures alike). */
interface SdkErrorShape {
  readonly name?: string;
  readonly Code?: string;
  readonly code?: string;
  readonly message?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly $retryable?: unknown;
}

export function sdkErrorName(error: unknown): string {
  const e = error as SdkErrorShape | undefined;
  return String(e?.name ?? e?.Code ?? e?.code ?? '');
}

export function httpStatus(error: unknown): number | undefined {
  return (error as SdkErrorShape | undefined)?.$metadata?.httpStatusCode;
}

const AUTH_ERRORS = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'MissingAuthenticationTokenException',
  'CredentialsProviderError',
  'InvalidClientTokenId',
]);

/** Throttling answers: the request was refused before it did anything, so it is safe to resend. */
const THROTTLE_ERRORS = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
]);

export function isThrottle(error: unknown): boolean {
  return THROTTLE_ERRORS.has(sdkErrorName(error)) || httpStatus(error) === 429;
}

export function isAuthError(error: unknown): boolean {
  return AUTH_ERRORS.has(sdkErrorName(error));
}

/**
 * Turns whatever the SDK threw into an FmiError: the deadline's own error when it was the deadline
 * that aborted the request, `auth` for refused credentials (naming what to check), `channel`
 * (retryable) for throttling and transport failures, `channel` for anything else.
 */
export function sdkError(channel: string, what: string, error: unknown, deadline?: Deadline): FmiError {
  if (FmiError.is(error)) return error;
  if (deadline?.signal.aborted && FmiError.is(deadline.signal.reason)) return deadline.signal.reason;
  const name = sdkErrorName(error);
  const status = httpStatus(error);
  const detail = `${name || 'Error'}${status ? ` (HTTP ${status})` : ''}: ${(error as SdkErrorShape | undefined)?.message ?? String(error)}`;
  if (isAuthError(error)) {
    return new FmiError(
      'auth',
      `[${channel}] ${what} was refused: ${detail} — check the credentials (standard AWS chain: AWS_ACCESS_KEY_ID, AWS_PROFILE, the function's role) and their permissions`,
      {
        cause: error,
        channel,
      },
    );
  }
  const retryable = isThrottle(error) || status === undefined || status >= 500;
  return new FmiError('channel', `[${channel}] ${what} failed: ${detail}`, { cause: error, channel, retryable });
}

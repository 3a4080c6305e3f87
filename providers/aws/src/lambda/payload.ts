/**
 * What the `aws-lambda` platform sends each rank, and what `fmiHandler` returns. The payload is
 * plain JSON so any launcher (Step Functions, a shell loop with `aws lambda invoke`) can produce it.
 */
export interface FmiInvocation {
  readonly rank: number;
  readonly size: number;
  readonly job: string;
  /**
   * Where the rank finds the job secret (rendezvous server): `env:NAME` reads the function's
   * environment variable NAME; anything else goes to `fmiHandler`'s `resolveSecret` (an SSM
   * parameter, a Secrets Manager ARN). Preferred over `secret`.
   */
  readonly secretRef?: string;
  /** The secret itself, when the launcher was given one and no reference (Lambda does not log payloads; your code must not either). */
  readonly secret?: string;
  /** FMI_* settings for this job (FMI_S3_BUCKET, FMI_HINT, ...), layered over the function's environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Default deadline of every operation, ms; capped by the invocation's remaining time. */
  readonly timeoutMs?: number;
}

export interface FmiPayload<I = unknown> {
  readonly fmi: FmiInvocation;
  /** The user's input, passed to the handler function as is. */
  readonly input?: I;
}

export type FmiRankResult<R = unknown> =
  | { readonly ok: true; readonly rank: number; readonly result: R; readonly closeError?: { readonly kind: string; readonly message: string } }
  | { readonly ok: false; readonly rank: number; readonly error: { readonly kind: string; readonly message: string } };

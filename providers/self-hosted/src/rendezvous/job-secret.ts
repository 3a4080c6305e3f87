import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { NONCE_BYTES } from './protocol.js';

/**
 * Secrets of the rendezvous server.
 *
 * The server holds one *server key*. The secret of job J is `HMAC-SHA256(serverKey, "fmi-job-secret-v1\0" + J)`
 * (hex), which whoever holds the server key (the launcher, `fmi run`) computes and hands to the ranks
 * as `FMI_SECRET`. The server therefore keeps no per-job state before a job connects, there is no
 * trust-on-first-use race in which a stranger claims a job id first, and a leaked job secret opens
 * that one job only. The secret itself never travels: a rank proves it knows it with
 * `HMAC-SHA256(jobSecret, nonce || AUTH fields)` over a fresh server nonce.
 */

const JOB_SECRET_CONTEXT = 'fmi-job-secret-v1\0';
const PROOF_CONTEXT = 'fmi-rendezvous-auth-v1\0';

/** The secret ranks of `job` must present to a server started with `serverKey`. */
export function deriveJobSecret(serverKey: string, job: string): string {
  return createHmac('sha256', serverKey).update(JOB_SECRET_CONTEXT).update(job, 'utf8').digest('hex');
}

/** A fresh random server key (hex), for a server started without one. */
export function generateServerKey(): string {
  return randomBytes(32).toString('hex');
}

export function newNonce(): Buffer {
  return randomBytes(NONCE_BYTES);
}

/** The client's proof: binds the nonce and every AUTH field before the proof. */
export function authProof(jobSecret: string, nonce: Uint8Array, signedFields: Uint8Array): Buffer {
  return createHmac('sha256', jobSecret).update(PROOF_CONTEXT).update(nonce).update(signedFields).digest();
}

export function proofMatches(expected: Buffer, actual: Buffer): boolean {
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

import { createHash } from 'node:crypto';
import { FmiError } from '@fmi/core';

/**
 * Loads the `aws-lambda` platform's optional peer SDK on first use; a platform whose SDK is missing
 * fails with `config` and the install command. (The channels use core's `importPeerSdk`, whose
 * error names a channel's settings; the platform's names `aws.lambda`.)
 */
export async function loadSdk<T>(channel: string, pkg: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (cause) {
    const code = (cause as { code?: string } | undefined)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new FmiError('config', `[${channel}] the ${channel} channel needs ${pkg} — install it: npm install ${pkg}`, {
        cause,
        channel,
        field: `aws.${channel === 'aws-lambda' ? 'lambda' : channel}`,
      });
    }
    throw cause;
  }
}

/** Identity of a credentials option for client caching: functions by reference, static keys by key id. */
const credentialIds = new WeakMap<object, number>();
let nextCredentialId = 0;
export function credentialsKey(credentials: unknown): string {
  if (credentials === undefined) return 'chain';
  if (typeof credentials === 'object' && credentials !== null) {
    // Static keys: the same keys share a client even when the options object is rebuilt per call.
    const c = credentials as { accessKeyId?: string; secretAccessKey?: string; sessionToken?: string };
    return `k:${createHash('sha256')
      .update(`${c.accessKeyId}\0${c.secretAccessKey}\0${c.sessionToken ?? ''}`)
      .digest('hex')
      .slice(0, 16)}`;
  }
  if (typeof credentials === 'function') {
    let id = credentialIds.get(credentials as object);
    if (id === undefined) {
      id = ++nextCredentialId;
      credentialIds.set(credentials as object, id);
    }
    return `c${id}`;
  }
  return 'chain';
}

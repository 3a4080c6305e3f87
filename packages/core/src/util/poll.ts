import type { Deadline } from './deadline.js';
import { sleep } from './deadline.js';

export interface BackoffOptions {
  /** First wait, ms (default 2). */
  readonly firstDelayMs?: number;
  /** Longest wait between attempts, ms (default 200). */
  readonly maxDelayMs?: number;
  /** Growth per attempt (default 2). */
  readonly factor?: number;
  /** Called before every sleep, e.g. to count polls. */
  readonly onPoll?: () => void;
}

/**
 * Calls `attempt` until it returns something other than `undefined`, sleeping between attempts with
 * exponential backoff and full jitter, bounded by the deadline's clock (never by a count of tries).
 * Rejects with the deadline's error when time runs out. For stores without notifications.
 */
export async function pollUntil<T>(attempt: () => Promise<T | undefined>, deadline: Deadline, options: BackoffOptions = {}): Promise<T> {
  const first = options.firstDelayMs ?? 2;
  const max = options.maxDelayMs ?? 200;
  const factor = options.factor ?? 2;
  let delay = first;
  for (;;) {
    deadline.throwIfExpired();
    const value = await attempt();
    if (value !== undefined) return value;
    options.onPoll?.();
    // Full jitter: uniform in [delay/2, delay], so ranks polling together spread out.
    await sleep(delay / 2 + Math.random() * (delay / 2), deadline);
    delay = Math.min(max, delay * factor);
  }
}

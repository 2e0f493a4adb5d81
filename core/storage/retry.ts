/**
 * Retries with exponential backoff and jitter, for transient failures only (a 5xx, a timeout, a dropped
 * connection, an answer cut short). A caller decides what is transient; a refused key is never retried.
 */
export interface RetryPolicy {
  /** Total attempts, the first included (1 = no retry). */
  attempts: number;
  /** Delay before the second attempt; doubled after each failure. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 1_000, maxDelayMs: 30_000 };

/** The delay before attempt `attempt + 1`: base * 2^(attempt-1), capped, with "equal jitter" (half fixed, half random). */
export function backoffDelay(policy: RetryPolicy, attempt: number, random = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

export interface RetryHooks {
  onRetry?: (e: unknown, attempt: number, delayMs: number) => void;
  /** Maps the last transient failure to the error thrown once every attempt is spent (e.g. to say how many). */
  onGiveUp?: (e: unknown, attempts: number) => unknown;
}

export async function withRetry<T>(run: (attempt: number) => Promise<T>, policy: RetryPolicy, isTransient: (e: unknown) => boolean, hooks: RetryHooks = {}): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run(attempt);
    } catch (e) {
      if (!isTransient(e)) throw e;
      if (attempt >= policy.attempts) throw hooks.onGiveUp ? hooks.onGiveUp(e, attempt) : e;
      const delay = backoffDelay(policy, attempt);
      hooks.onRetry?.(e, attempt, delay);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

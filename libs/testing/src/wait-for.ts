import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  /** Generous by default: tests wait by polling, never by fixed sleeps. */
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  /** What was awaited, for the failure message. */
  readonly what?: string;
}

/**
 * Polls `probe` until it returns a value other than `undefined`, `null` or
 * `false`, and returns that value. Errors thrown by the probe count as "not yet";
 * the last one is reported on timeout.
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  { timeoutMs = 20_000, intervalMs = 100, what = 'condition' }: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? `: last error: ${lastError.message}` : '';
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await sleep(intervalMs);
  }
}

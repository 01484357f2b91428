/**
 * Bounded retries with exponential backoff and jitter, for rate limits (429), Plaid-side
 * failures (5xx) and network errors. Everything that leaves here is a secret-free
 * CleanError (see errors.ts): the raw axios error, which carries the client secret in
 * `config.headers`, is dropped as soon as it is caught.
 */
import { errorOf, isRetryable, CleanError, toCleanError } from "./errors";

export interface RetryOptions {
  /** Retries after the first attempt (so at most `retries + 1` calls). Default 5. */
  retries?: number;
  /** Delay before the first retry, in ms. Default 1000. */
  baseDelayMs?: number;
  /** Upper bound of a single delay, in ms. Default 30 000. */
  maxDelayMs?: number;
  /** Injectable for tests: resolves after `ms`. Default: a timer that the signal can cut short. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Injectable for tests: a number in [0, 1). Default Math.random. */
  random?: () => number;
  /** Aborts the wait between attempts (and is checked before each attempt). */
  signal?: AbortSignal;
  /** Which errors to retry; default isRetryable from errors.ts. */
  retryable?: (e: CleanError) => boolean;
  /** Called before each wait: attempt is 1 for the first retry. */
  onRetry?: (e: CleanError, attempt: number, delayMs: number) => void;
}

export const DEFAULT_RETRY: Required<Pick<RetryOptions, "retries" | "baseDelayMs" | "maxDelayMs">> = {
  retries: 5,
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
};

/** Thrown (as a CleanError with this code) when the caller aborted, e.g. the node closed. */
export const ABORTED_CODE = "SYNC_ABORTED";

export function abortedError(): CleanError {
  return errorOf(ABORTED_CODE, "The sync was stopped (the node was closed or redeployed)", "INTERNAL_ERROR");
}

/**
 * The delay before retry number `attempt` (1-based): "equal jitter" — half of the capped
 * exponential step is fixed, the other half random, so retries spread out but never collapse to 0.
 */
export function backoffDelay(attempt: number, random: () => number, base = DEFAULT_RETRY.baseDelayMs, max = DEFAULT_RETRY.maxDelayMs): number {
  const step = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(step / 2 + (step / 2) * r);
}

export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Runs `fn` until it succeeds, a non-retryable error occurs, or the retries are used up. Rejects
 * with the clean CleanError of the last attempt (its message says how many attempts were
 * made when retries ran out).
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const retries = options.retries ?? DEFAULT_RETRY.retries;
  const base = options.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs;
  const max = options.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const retryable = options.retryable ?? ((e: CleanError) => isRetryable(e.plaid));
  for (let attempt = 0; ; attempt++) {
    if (options.signal?.aborted) throw abortedError();
    let clean: CleanError;
    try {
      return await fn(attempt);
    } catch (err) {
      if (options.signal?.aborted) throw abortedError();
      clean = toCleanError(err);
    }
    if (!retryable(clean)) throw clean;
    if (attempt >= retries) {
      if (retries === 0) throw clean;
      throw new CleanError({ ...clean.plaid, message: `${clean.plaid.message} (gave up after ${attempt + 1} attempts)` });
    }
    const delay = backoffDelay(attempt + 1, random, base, max);
    options.onRetry?.(clean, attempt + 1, delay);
    await sleep(delay, options.signal);
  }
}

import { TokenRequestError, VendastaAuthError } from './errors.js';
import { backoffDelay, isRetryable } from './retry-policy.js';
import type { RetryOptions } from './token-endpoint.js';

/** Shortest cooldown after a passing failure, unless `cooldownMs` is shorter. */
const MIN_TRANSIENT_COOLDOWN_MS = 1000;

/** Failures that do not come from the token endpoint, so they start no cooldown. */
const NOT_ENDPOINT_FAILURES = new Set(['ERR_ABORTED', 'ERR_DETACHED']);

export interface CooldownSettings {
  /** Cooldown after a failure that repeating will not fix, in milliseconds. */
  cooldownMs: number;
  retry: Required<RetryOptions>;
}

interface FailureRecord {
  error: VendastaAuthError;
  /** `performance.now()` value at which the cooldown ends. */
  until: number;
  /** Failed fetches in a row, which lengthen the cooldown after passing failures. */
  failures: number;
}

/**
 * Remembers the last failed fetch per cache key, so that requests arriving soon after it fail
 * fast with the same error instead of each starting a token request.
 *
 * - After a failure that will not change (an OAuth error, another 4xx, an invalid response), the
 *   cooldown is `cooldownMs`.
 * - After a passing failure (network errors, timeouts, 408, 429, 5xx, once retries are spent),
 *   it continues the retry backoff schedule, from 1 s up to at most `cooldownMs`.
 * - A `Retry-After` header makes it at least that long, up to `retry.maxRetryAfterMs`.
 */
export class FailureCooldown {
  readonly #settings: CooldownSettings;
  readonly #records = new Map<string, FailureRecord>();

  constructor(settings: CooldownSettings) {
    this.#settings = settings;
  }

  /** Returns the error to fail with while `key` cools down, or undefined when a fetch may start. */
  check(key: string): { error: VendastaAuthError; remainingMs: number } | undefined {
    const record = this.#records.get(key);
    if (record === undefined) return undefined;
    const remainingMs = Math.ceil(record.until - performance.now());
    if (remainingMs <= 0) return undefined;
    return { error: copyForCooldown(record.error, remainingMs), remainingMs };
  }

  /** Records a failed fetch and returns the cooldown in milliseconds, or 0 when none starts. */
  record(key: string, error: unknown): number {
    if (!(error instanceof VendastaAuthError) || NOT_ENDPOINT_FAILURES.has(error.code)) return 0;
    const failures = (this.#records.get(key)?.failures ?? 0) + 1;
    const durationMs = this.#durationFor(error, failures);
    this.#records.set(key, { error, until: performance.now() + durationMs, failures });
    return durationMs;
  }

  /** Forgets the failures of `key` after a successful fetch. */
  clear(key: string): void {
    this.#records.delete(key);
  }

  /** Forgets every failure, because new credentials may fix them. */
  clearAll(): void {
    this.#records.clear();
  }

  #durationFor(error: VendastaAuthError, failures: number): number {
    const { cooldownMs, retry } = this.#settings;
    const passing = isRetryable(error) || error.code === 'ERR_TOKEN_TIMEOUT';
    let durationMs = cooldownMs;
    if (passing) {
      const backoff = backoffDelay(retry.retries + failures - 1, retry);
      durationMs = Math.min(cooldownMs, Math.max(backoff, MIN_TRANSIENT_COOLDOWN_MS));
    }
    const requested = error instanceof TokenRequestError ? (error.retryAfterMs ?? 0) : 0;
    return Math.max(durationMs, Math.min(requested, retry.maxRetryAfterMs));
  }
}

/** Copies an error into one of the same class and code whose message states that no request was made. */
function copyForCooldown(error: VendastaAuthError, remainingMs: number): VendastaAuthError {
  const note = ` No new token request is made for another ${(remainingMs / 1000).toFixed(1)} s after this failure.`;
  if (!(error instanceof TokenRequestError)) {
    return new VendastaAuthError(error.code, error.message + note, { cause: error });
  }
  return new TokenRequestError(error.code, error.message + note, {
    cause: error,
    status: error.status,
    oauthError: error.oauthError,
    oauthErrorDescription: error.oauthErrorDescription,
    attempts: 0,
    retryAfterMs: remainingMs,
    clockOffsetMs: error.clockOffsetMs,
    response: error.response,
  });
}

import { parseHttpDate } from './clock.js';
import { TokenRequestError } from './errors.js';

/** HTTP statuses of the token endpoint that may succeed when repeated. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/** OAuth `error` values that describe a passing condition on the server (RFC 6749 section 4.1.2.1). */
export const TRANSIENT_OAUTH_ERRORS: ReadonlySet<string> = new Set(['server_error', 'temporarily_unavailable']);

/**
 * Network error codes that repeat on every attempt (TLS and certificate failures, invalid URLs)
 * or that mean the caller cancelled. Every other network error (refused, reset, hang-up, DNS,
 * timeout) is retried.
 */
const PERMANENT_NETWORK_CODES = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|ERR_INVALID_URL|ERR_CANCELED)/;

/** Backoff settings, in the units of the `retry` option. */
export interface BackoffSettings {
  minTimeoutMs: number;
  maxTimeoutMs: number;
  factor: number;
}

/** Returns whether a failed attempt may succeed if repeated. */
export function isRetryable(error: unknown): boolean {
  if (!(error instanceof TokenRequestError)) return false;
  if (error.code !== 'ERR_TOKEN_REQUEST_FAILED') return false;
  if (error.status !== undefined) {
    return RETRYABLE_STATUSES.has(error.status) || TRANSIENT_OAUTH_ERRORS.has(error.oauthError ?? '');
  }
  const networkCode = (error.cause as { code?: unknown } | undefined)?.code;
  return typeof networkCode !== 'string' || !PERMANENT_NETWORK_CODES.test(networkCode);
}

/**
 * Returns the delay before retry number `retryIndex + 1`: exponential from `minTimeoutMs`, capped at
 * `maxTimeoutMs`, and randomised into the upper half of that value so that a fleet spreads out
 * while every delay stays at least half the nominal one.
 */
export function backoffDelay(retryIndex: number, settings: BackoffSettings): number {
  const nominal = Math.min(settings.maxTimeoutMs, settings.minTimeoutMs * settings.factor ** retryIndex);
  return Math.round(nominal / 2 + (Math.random() * nominal) / 2);
}

/**
 * Parses a `Retry-After` header into milliseconds: delay-seconds, or an HTTP date read against
 * `referenceMs` (the response's own `Date`, so that clock skew does not distort it). Returns
 * undefined for a missing or malformed header, and 0 for a date in the past.
 */
export function parseRetryAfter(value: unknown, referenceMs: number): number | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;

  const at = parseHttpDate(text);
  return at === undefined ? undefined : Math.max(0, at - referenceMs);
}

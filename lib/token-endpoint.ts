import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import pRetry from 'p-retry';

import { signAssertion } from './assertion.js';
import { LARGE_CLOCK_SKEW_MS, parseHttpDate, type ServerClock } from './clock.js';
import type { ServiceAccount } from './credentials.js';
import type { TokenRequestError } from './errors.js';
import { backoffDelay, isRetryable, parseRetryAfter } from './retry-policy.js';
import { annotateClockSkew, errorFromResponse, networkError, toTokenRequestError } from './token-errors.js';
import { parseJsonObject, parseTokenResponse, type AccessToken } from './token-response.js';

export { isRetryable } from './retry-policy.js';
export {
  FALLBACK_TOKEN_LIFETIME_SECONDS,
  MAX_TOKEN_LIFETIME_SECONDS,
  tokenLifetime,
  type AccessToken,
} from './token-response.js';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** `client_assertion_type` of a client that authenticates with a signed JWT (RFC 7523 section 2.2). */
export const JWT_BEARER_CLIENT_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * Grant that exchanges the assertion for a token. `'jwt-bearer'` sends it as the grant (RFC 7523
 * section 2.1), as Vendasta expects. `'client_credentials'` sends it as client authentication of
 * a client-credentials grant (RFC 6749 section 4.4 with RFC 7523 section 2.2).
 */
export type GrantType = 'jwt-bearer' | 'client_credentials';

/** Retry settings of the token request. */
export interface RetryOptions {
  /** Retries after the first attempt. @default 4 */
  retries?: number;
  /** Delay before the first retry, in milliseconds. @default 200 */
  minTimeoutMs?: number;
  /** Maximum delay between two attempts, in milliseconds. @default 5000 */
  maxTimeoutMs?: number;
  /** Growth of the delay from one retry to the next. @default 2 */
  factor?: number;
  /**
   * Longest `Retry-After` honoured, in milliseconds. A longer value is cut to this, both for the
   * next attempt and for the cooldown.
   * @default 60000
   */
  maxRetryAfterMs?: number;
}

export interface TokenEndpointSettings {
  tokenUri: string;
  grant: GrantType;
  /** `aud` claim of the assertion in place of the credentials' `assertionPayloadData.aud`. */
  audience: string | undefined;
  assertionLifetimeSeconds: number;
  /** Deadline of one HTTP attempt, in milliseconds. */
  attemptTimeoutMs: number;
  retry: Required<RetryOptions>;
}

/** Inputs of one fetch besides the settings: its signal, deadline, clock and callbacks. */
export interface FetchContext {
  readonly signal: AbortSignal;
  /** `performance.now()` value after which the fetch is abandoned. */
  readonly deadlineAt: number;
  readonly clock: ServerClock;
  /** A background refresh, whose timers must not keep the process alive. */
  readonly background: boolean;
  onAttempt(attempt: number): void;
  onFailedAttempt(error: TokenRequestError, attempt: number, willRetry: boolean, delayMs: number): void;
  /** Called when the applied clock offset changes. */
  onClockOffset(offsetMs: number): void;
}

/** The outcome of a failed attempt: whether and when to retry. */
interface RetryDecision {
  readonly retry: boolean;
  readonly delayMs: number;
  /** A repeat with the corrected clock after `invalid_grant`, which uses no retry. */
  readonly clockCorrection: boolean;
}

const NO_RETRY: RetryDecision = { retry: false, delayMs: 0, clockCorrection: false };

/** Creates a private axios instance, so the token request never runs through the caller's interceptors. */
export function createTokenHttpClient(): AxiosInstance {
  return axios.create({
    maxRedirects: 0,
    responseType: 'text',
    transformResponse: [(data: unknown) => data],
    validateStatus: () => true,
    headers: { Accept: 'application/json' },
  });
}

/**
 * Requests an access token for `scopes`, signing a new assertion for every attempt.
 *
 * Network errors, timeouts, 408, 429, 500, 502, 503 and 504 are retried with exponential backoff
 * and jitter, waiting at least as long as `Retry-After` requests. A retry that could not start before
 * the deadline is not made. OAuth errors fail at once, except that an `invalid_grant` that came
 * with a large new clock offset is repeated once, with the corrected clock.
 *
 * @throws {TokenRequestError} with the attempts made, once retries are spent or on a final error.
 */
export async function requestAccessToken(
  http: AxiosInstance,
  account: ServiceAccount,
  scopes: readonly string[],
  settings: TokenEndpointSettings,
  context: FetchContext,
): Promise<{ token: AccessToken; attempts: number }> {
  const { signal, clock } = context;
  let attempts = 0;
  let signedWithOffsetMs = 0;
  let corrected = false;
  let decision = NO_RETRY;
  let lastFailure: TokenRequestError | undefined;

  const attempt = async (attemptNumber: number): Promise<AccessToken> => {
    attempts = attemptNumber;
    signedWithOffsetMs = clock.offsetMs;
    context.onAttempt(attemptNumber);
    return exchangeAssertion(http, account, scopes, settings, context);
  };

  const onFailedAttempt = async ({ error, retriesConsumed }: { error: Error; retriesConsumed: number }) => {
    decision = NO_RETRY;
    if (signal.aborted) return;
    const failure = toTokenRequestError(error);
    failure.attempts = attempts;
    lastFailure = failure;

    const skewed = Math.abs(clock.offsetMs - signedWithOffsetMs) >= LARGE_CLOCK_SKEW_MS;
    if (failure.code === 'ERR_OAUTH_INVALID_GRANT' && skewed && !corrected) {
      decision = { retry: true, delayMs: 0, clockCorrection: true };
    } else {
      decision = decideRetry(failure, retriesConsumed, settings.retry, context.deadlineAt);
    }
    let stage: 'retrying' | 'after-correction' | 'final' = corrected ? 'after-correction' : 'final';
    if (decision.clockCorrection) stage = 'retrying';
    annotateClockSkew(failure, clock.measuredOffsetMs, stage);
    corrected ||= decision.clockCorrection;

    context.onFailedAttempt(failure, attempts, decision.retry, decision.delayMs);
    if (decision.retry) await sleep(decision.delayMs, signal, context.background);
  };

  try {
    const token = await pRetry(attempt, {
      // One spare retry for the clock correction, which consumes none; decideRetry enforces
      // the configured count.
      retries: settings.retry.retries + 1,
      minTimeout: 0,
      maxTimeout: 0,
      signal,
      onFailedAttempt,
      shouldConsumeRetry: () => !decision.clockCorrection,
      shouldRetry: () => decision.retry,
    });
    return { token, attempts };
  } catch (error) {
    const failure = signal.aborted && lastFailure !== undefined ? lastFailure : toTokenRequestError(error);
    failure.attempts = attempts;
    throw failure;
  }
}

/**
 * Decides whether to retry, and after how long: the backoff delay, or `Retry-After` (capped)
 * when that is longer. Gives up when the wait would end after the deadline.
 */
function decideRetry(
  failure: TokenRequestError,
  retriesConsumed: number,
  retry: Required<RetryOptions>,
  deadlineAt: number,
): RetryDecision {
  if (!isRetryable(failure) || retriesConsumed >= retry.retries) return NO_RETRY;

  const requested = Math.min(failure.retryAfterMs ?? 0, retry.maxRetryAfterMs);
  const delayMs = Math.max(backoffDelay(retriesConsumed, retry), requested);
  if (performance.now() + delayMs >= deadlineAt) {
    if (requested > 0) {
      failure.message += ` The endpoint requested a wait of ${Math.ceil(requested / 1000)} s (Retry-After), past this fetch's deadline (\`timeoutMs\`).`;
    }
    return NO_RETRY;
  }
  return { retry: true, delayMs, clockCorrection: false };
}

async function exchangeAssertion(
  http: AxiosInstance,
  account: ServiceAccount,
  scopes: readonly string[],
  settings: TokenEndpointSettings,
  context: FetchContext,
): Promise<AccessToken> {
  const { clock, signal } = context;
  const assertion = await signAssertion(account, {
    scopes,
    lifetimeSeconds: settings.assertionLifetimeSeconds,
    nowMs: clock.now(),
    audience: settings.audience,
  });
  const body = tokenRequestBody(settings.grant, assertion, scopes);

  const sentAtMs = Date.now();
  let response: AxiosResponse<string>;
  try {
    response = await http.post<string>(settings.tokenUri, body, {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      timeout: settings.attemptTimeoutMs,
      signal,
    });
  } catch (error) {
    throw networkError(error, settings.tokenUri);
  }

  const receivedAtMs = Date.now();
  if (clock.observe(response.headers.date, sentAtMs, receivedAtMs)) context.onClockOffset(clock.offsetMs);
  return readResponse(response, settings.tokenUri, { receivedAtMs, serverNowMs: clock.now() });
}

/** Builds the form body of a token request for `grant`. */
export function tokenRequestBody(grant: GrantType, assertion: string, scopes: readonly string[]): string {
  if (grant === 'jwt-bearer') return new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion }).toString();
  return new URLSearchParams({
    grant_type: 'client_credentials',
    client_assertion_type: JWT_BEARER_CLIENT_ASSERTION,
    client_assertion: assertion,
    scope: scopes.join(' '),
  }).toString();
}

function readResponse(
  response: AxiosResponse<string>,
  tokenUri: string,
  times: { receivedAtMs: number; serverNowMs: number },
): AccessToken {
  const success = response.status >= 200 && response.status < 300;
  if (success && !carriesOAuthError(response)) return parseTokenResponse(response, times, tokenUri);

  const reference = parseHttpDate(response.headers.date) ?? times.serverNowMs;
  throw errorFromResponse(response, tokenUri, parseRetryAfter(response.headers['retry-after'], reference));
}

/** Returns whether a 2xx body has an OAuth `error` and no `access_token`, as some gateways send. */
function carriesOAuthError(response: AxiosResponse<string>): boolean {
  const body = parseJsonObject(response.data);
  return typeof body?.error === 'string' && body.access_token === undefined;
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
function sleep(ms: number, signal: AbortSignal, unref: boolean): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    if (unref) timer.unref();
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

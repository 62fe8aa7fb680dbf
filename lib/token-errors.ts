import axios, { type AxiosResponse } from 'axios';

import { describeOffset, LARGE_CLOCK_SKEW_MS } from './clock.js';
import { codeForOAuthError, TokenRequestError } from './errors.js';
import { isRetryable, RETRYABLE_STATUSES, TRANSIENT_OAUTH_ERRORS } from './retry-policy.js';
import { describeNonJson, describeResponse, parseJsonObject, scrubTokens } from './token-response.js';

/** Longest `error_description` quoted in a message. */
const MAX_DESCRIPTION_CHARS = 300;

/**
 * Converts a failed HTTP call into an error. The AxiosError carries the request config, whose
 * body contains the assertion, so only its code and message are kept.
 */
export function networkError(error: unknown, tokenUri: string): TokenRequestError {
  if (axios.isCancel(error)) {
    // The fetch's own signal aborted: its deadline passed, or every caller gave up.
    return new TokenRequestError('ERR_ABORTED', `Token request to ${tokenUri} was cancelled.`);
  }
  const code = axios.isAxiosError(error) ? error.code : undefined;
  const networkCode = (error as { cause?: { code?: unknown } }).cause?.code;
  const reason = error instanceof Error ? error.message : String(error);
  const cause = Object.assign(new Error(reason), { code: typeof networkCode === 'string' ? networkCode : code });

  const timedOut = code === 'ECONNABORTED' || code === 'ETIMEDOUT';
  const problem = timedOut ? 'timed out' : `failed (${cause.code ?? 'network error'}: ${reason})`;
  const failure = new TokenRequestError(
    'ERR_TOKEN_REQUEST_FAILED',
    `Token request to ${tokenUri} ${problem}.`,
    { cause },
  );
  const next = isRetryable(failure)
    ? 'Check that the token endpoint is reachable from this host.'
    : 'This error repeats on every attempt: check the TLS setup and the token endpoint URL.';
  failure.message += ` ${next}`;
  return failure;
}

/** Builds the error for a non-2xx response, or a 2xx response whose body carries an OAuth `error`. */
export function errorFromResponse(
  response: AxiosResponse<string>,
  tokenUri: string,
  retryAfterMs: number | undefined,
): TokenRequestError {
  const body = parseJsonObject(response.data);
  const oauthError = typeof body?.error === 'string' ? body.error : undefined;
  const description =
    typeof body?.error_description === 'string'
      ? scrubTokens(body.error_description.slice(0, MAX_DESCRIPTION_CHARS))
      : undefined;
  const details = {
    status: response.status,
    oauthError,
    oauthErrorDescription: description,
    retryAfterMs,
    response: describeResponse(response, body),
  };

  if (oauthError !== undefined && !isTransientAnswer(response.status, oauthError)) {
    const suffix = description === undefined ? '' : `: ${description}`;
    return new TokenRequestError(
      codeForOAuthError(oauthError),
      `Token endpoint ${tokenUri} rejected the request with ${oauthError} (HTTP ${response.status})${suffix}. ${adviceFor(oauthError)}`,
      details,
    );
  }
  return new TokenRequestError('ERR_TOKEN_REQUEST_FAILED', statusMessage(response, tokenUri, oauthError, body), details);
}

function isTransientAnswer(status: number, oauthError: string): boolean {
  return status >= 500 || status === 429 || TRANSIENT_OAUTH_ERRORS.has(oauthError);
}

function statusMessage(
  response: AxiosResponse<string>,
  tokenUri: string,
  oauthError: string | undefined,
  body: Record<string, unknown> | undefined,
): string {
  const { status } = response;
  const detail = oauthError !== undefined ? ` (${oauthError})` : body === undefined ? ` with a body that is ${describeNonJson(response)}` : '';
  const head = `Token endpoint ${tokenUri} answered HTTP ${status}${detail}.`;
  if (RETRYABLE_STATUSES.has(status) || oauthError !== undefined) {
    return `${head} This status counts as temporary. If it persists, check the token endpoint's status.`;
  }
  if (status >= 300 && status < 400) {
    const location = String(response.headers.location ?? 'no Location');
    return `${head} It redirects (${location}), which this client does not follow: set \`tokenUri\` to the final URL.`;
  }
  return `${head} This status is not retried: check that token_uri points at the Vendasta token endpoint.`;
}

function adviceFor(oauthError: string): string {
  switch (oauthError) {
    case 'invalid_grant':
      return 'Check that the service account still exists, that its key is active, and that this host clock is correct.';
    case 'invalid_client':
      return 'The key id is unknown to the server: download a current key for this service account.';
    case 'invalid_scope':
      return 'Request only scopes that this service account has been granted.';
    case 'unauthorized_client':
      return 'This service account may not use this grant; check its permissions in Vendasta.';
    default:
      return 'Check the credentials file and the token endpoint URL.';
  }
}

/**
 * Adds what is known about clock skew to an `invalid_grant` error: the measured offset, and
 * whether the request was (or will be) repeated with the corrected clock.
 */
export function annotateClockSkew(
  failure: TokenRequestError,
  measuredOffsetMs: number | undefined,
  stage: 'retrying' | 'after-correction' | 'final',
): void {
  if (failure.code !== 'ERR_OAUTH_INVALID_GRANT') return;
  failure.clockOffsetMs = measuredOffsetMs;

  if (measuredOffsetMs === undefined) {
    failure.message += ' Clock skew could not be measured because the token endpoint sent no Date header.';
  } else if (stage === 'retrying') {
    failure.message += ` Clock skew of ${describeOffset(measuredOffsetMs)} measured: retrying once with the corrected clock.`;
  } else if (stage === 'after-correction') {
    failure.message += ` The assertion was rejected even with the clock corrected for a skew of ${describeOffset(measuredOffsetMs)}. Fix this host's clock (for example with NTP) and check that the key is active.`;
  } else if (Math.abs(measuredOffsetMs) >= LARGE_CLOCK_SKEW_MS) {
    failure.message += ` Clock skew of ${describeOffset(measuredOffsetMs)} measured: fix this host's clock (for example with NTP).`;
  } else {
    failure.message += ` Measured clock skew to the token endpoint: ${describeOffset(measuredOffsetMs)}, so the clock is not the cause.`;
  }
}

/** Wraps anything thrown during an attempt as a `TokenRequestError`. */
export function toTokenRequestError(error: unknown): TokenRequestError {
  if (error instanceof TokenRequestError) return error;
  if (error instanceof Error && error.name === 'AbortError') {
    return new TokenRequestError('ERR_ABORTED', 'Token request was aborted.', { cause: error });
  }
  return new TokenRequestError(
    'ERR_TOKEN_REQUEST_FAILED',
    `Token request failed: ${error instanceof Error ? error.message : String(error)}`,
    { cause: error },
  );
}

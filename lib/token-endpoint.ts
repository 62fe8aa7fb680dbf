import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import pRetry from 'p-retry';

import { signAssertion } from './assertion.js';
import type { ServiceAccount } from './credentials.js';
import { codeForOAuthError, TokenRequestError } from './errors.js';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** `client_assertion_type` of a client that authenticates with a signed JWT (RFC 7523 section 2.2). */
export const JWT_BEARER_CLIENT_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * Grant that exchanges the assertion for a token. `'jwt-bearer'` sends it as the grant (RFC 7523
 * section 2.1), as Vendasta expects. `'client_credentials'` sends it as client authentication of
 * a client-credentials grant (RFC 6749 section 4.4 with RFC 7523 section 2.2).
 */
export type GrantType = 'jwt-bearer' | 'client_credentials';

/** Lifetime assumed for a token whose response has no usable `expires_in` and no JWT `exp`. */
export const FALLBACK_TOKEN_LIFETIME_SECONDS = 300;

/** Longest lifetime trusted from a response, so a wrong `expires_in` cannot pin a token for days. */
export const MAX_TOKEN_LIFETIME_SECONDS = 24 * 60 * 60;

/** Retry settings of the token request. */
export interface RetryOptions {
  /** Retries after the first attempt. @default 4 */
  retries?: number;
  /** Delay before the first retry, in milliseconds. @default 200 */
  minTimeoutMs?: number;
  /** Longest delay between two attempts, in milliseconds. @default 5000 */
  maxTimeoutMs?: number;
  /** Growth of the delay from one retry to the next. @default 2 */
  factor?: number;
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

/** A validated access token. */
export interface AccessToken {
  readonly accessToken: string;
  /** Expiry in milliseconds since the epoch, by the local clock. */
  readonly expiresAt: number;
  /** Lifetime granted by the server, in seconds. */
  readonly lifetimeSeconds: number;
}

export interface FetchHooks {
  onAttempt(attempt: number): void;
  onFailedAttempt(error: TokenRequestError, attempt: number, willRetry: boolean): void;
}

/** A private axios instance, so the token request never runs through the caller's interceptors. */
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
 * Requests an access token for `scopes`, signing a new assertion for every attempt and retrying
 * network errors, timeouts, 408, 429 and 5xx answers.
 *
 * @throws {TokenRequestError} with the attempts made, once retries are spent or on a final error.
 */
export async function requestAccessToken(
  http: AxiosInstance,
  account: ServiceAccount,
  scopes: readonly string[],
  settings: TokenEndpointSettings,
  hooks: FetchHooks,
  signal: AbortSignal,
  background = false,
): Promise<{ token: AccessToken; attempts: number }> {
  let attempts = 0;

  const attempt = async (attemptNumber: number): Promise<AccessToken> => {
    attempts = attemptNumber;
    hooks.onAttempt(attemptNumber);
    return exchangeAssertion(http, account, scopes, settings, signal);
  };

  try {
    const token = await pRetry(attempt, {
      retries: settings.retry.retries,
      minTimeout: settings.retry.minTimeoutMs,
      maxTimeout: settings.retry.maxTimeoutMs,
      factor: settings.retry.factor,
      randomize: true,
      signal,
      // A caller waits on a foreground fetch, so its retry timer must keep the process alive.
      unref: background,
      shouldRetry: ({ error }) => isRetryable(error),
      onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
        const failure = toTokenRequestError(error);
        failure.attempts = attemptNumber;
        hooks.onFailedAttempt(failure, attemptNumber, retriesLeft > 0 && isRetryable(failure) && !signal.aborted);
      },
    });
    return { token, attempts };
  } catch (error) {
    const failure = toTokenRequestError(error);
    failure.attempts = attempts;
    throw failure;
  }
}

async function exchangeAssertion(
  http: AxiosInstance,
  account: ServiceAccount,
  scopes: readonly string[],
  settings: TokenEndpointSettings,
  signal: AbortSignal,
): Promise<AccessToken> {
  const assertion = await signAssertion(account, {
    scopes,
    lifetimeSeconds: settings.assertionLifetimeSeconds,
    nowMs: Date.now(),
    audience: settings.audience,
  });
  const body = tokenRequestBody(settings.grant, assertion, scopes);

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

  const requestedAt = Date.now();
  if (response.status === 200) {
    return parseTokenResponse(response, requestedAt, settings.tokenUri);
  }
  throw errorFromResponse(response, settings.tokenUri);
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

/** Returns whether a failed attempt may succeed if repeated. */
export function isRetryable(error: unknown): boolean {
  if (!(error instanceof TokenRequestError)) return false;
  if (error.code !== 'ERR_TOKEN_REQUEST_FAILED') return false;
  const status = error.status;
  return status === undefined || status === 408 || status === 429 || status >= 500;
}

function networkError(error: unknown, tokenUri: string): TokenRequestError {
  // The AxiosError carries the request config, whose body contains the assertion, so only its
  // code and message are kept.
  const code = axios.isAxiosError(error) ? error.code : undefined;
  const reason = error instanceof Error ? error.message : String(error);
  const timedOut = code === 'ECONNABORTED' || code === 'ETIMEDOUT';
  const cause = new Error(reason);
  if (code !== undefined) Object.assign(cause, { code });
  const what = timedOut ? 'timed out' : `failed (${code ?? 'network error'}: ${reason})`;
  return new TokenRequestError(
    'ERR_TOKEN_REQUEST_FAILED',
    `Token request to ${tokenUri} ${what}. Check that the token endpoint is reachable from this host.`,
    { cause },
  );
}

function errorFromResponse(response: AxiosResponse<string>, tokenUri: string): TokenRequestError {
  const body = parseJsonObject(response.data);
  const oauthError = typeof body?.error === 'string' ? body.error : undefined;
  const description =
    typeof body?.error_description === 'string' ? body.error_description : undefined;
  const details = {
    status: response.status,
    oauthError,
    oauthErrorDescription: description,
    response: describeResponse(response, body),
  };

  if (oauthError !== undefined && response.status < 500 && response.status !== 429) {
    const suffix = description === undefined ? '' : `: ${description}`;
    return new TokenRequestError(
      codeForOAuthError(oauthError),
      `Token endpoint ${tokenUri} rejected the request with ${oauthError} (HTTP ${response.status})${suffix}. ${adviceFor(oauthError)}`,
      details,
    );
  }
  return new TokenRequestError(
    'ERR_TOKEN_REQUEST_FAILED',
    `Token endpoint ${tokenUri} answered HTTP ${response.status}${oauthError === undefined ? '' : ` (${oauthError})`}.${response.status >= 500 || response.status === 429 ? ' The request is retried while retries remain.' : ''}`,
    details,
  );
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

function parseTokenResponse(
  response: AxiosResponse<string>,
  receivedAt: number,
  tokenUri: string,
): AccessToken {
  const body = parseJsonObject(response.data);
  const invalid = (problem: string) =>
    new TokenRequestError(
      'ERR_TOKEN_RESPONSE_INVALID',
      `Token endpoint ${tokenUri} answered HTTP 200, but ${problem}. Check that token_uri points at the Vendasta token endpoint.`,
      { status: response.status, response: describeResponse(response, body) },
    );

  if (body === undefined) throw invalid('the body is not a JSON object');
  const accessToken = body.access_token;
  if (typeof accessToken !== 'string' || accessToken.trim() === '') {
    throw invalid('access_token is missing or empty');
  }
  const tokenType = body.token_type;
  if (tokenType !== undefined && (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer')) {
    throw invalid(`token_type is ${JSON.stringify(tokenType)}, expected "Bearer"`);
  }

  const lifetimeSeconds = tokenLifetime(body.expires_in, accessToken, receivedAt);
  if (lifetimeSeconds === null) {
    throw invalid(`expires_in is ${JSON.stringify(body.expires_in)}, expected a positive number of seconds`);
  }
  return { accessToken, expiresAt: receivedAt + lifetimeSeconds * 1000, lifetimeSeconds };
}

/**
 * Works out a token's lifetime in seconds: from `expires_in` (a number or a numeric string),
 * else from the `exp` claim of a JWT access token, else the fallback. Returns null when
 * `expires_in` is present but not positive.
 */
export function tokenLifetime(expiresIn: unknown, accessToken: string, nowMs: number): number | null {
  if (expiresIn !== undefined && expiresIn !== null) {
    const seconds = typeof expiresIn === 'string' && expiresIn.trim() !== '' ? Number(expiresIn) : expiresIn;
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) return null;
    return Math.min(seconds, MAX_TOKEN_LIFETIME_SECONDS);
  }
  const exp = jwtExpiry(accessToken);
  if (exp !== undefined && exp * 1000 > nowMs) {
    return Math.min((exp * 1000 - nowMs) / 1000, MAX_TOKEN_LIFETIME_SECONDS);
  }
  return FALLBACK_TOKEN_LIFETIME_SECONDS;
}

function jwtExpiry(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1] === undefined) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' ? claims.exp : undefined;
  } catch {
    return undefined;
  }
}

function parseJsonObject(text: unknown): Record<string, unknown> | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A copy of the answer without the request (which carries the assertion) or any access token. */
function describeResponse(response: AxiosResponse<string>, body: Record<string, unknown> | undefined) {
  const redacted = body === undefined ? undefined : { ...body };
  if (redacted !== undefined && 'access_token' in redacted) redacted.access_token = '[REDACTED]';
  if (redacted !== undefined && 'refresh_token' in redacted) redacted.refresh_token = '[REDACTED]';
  return {
    status: response.status,
    headers: { ...(response.headers as Record<string, unknown>) },
    body: redacted ?? (typeof response.data === 'string' ? response.data.slice(0, 2000) : undefined),
  };
}

function toTokenRequestError(error: unknown): TokenRequestError {
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

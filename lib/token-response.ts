import type { AxiosResponse } from 'axios';

import { TokenRequestError } from './errors.js';

/** Lifetime assumed for a token whose response has no `expires_in` and that is not a JWT with `exp`. */
export const FALLBACK_TOKEN_LIFETIME_SECONDS = 300;

/** Minimum lifetime of a usable token. A shorter one would send every request to the token endpoint. */
export const MIN_TOKEN_LIFETIME_SECONDS = 1;

/** Maximum lifetime trusted from a response, so a wrong `expires_in` cannot pin a token for days. */
export const MAX_TOKEN_LIFETIME_SECONDS = 24 * 60 * 60;

/** Maximum length of a non-JSON body kept in an error's `response`, in characters. */
const MAX_KEPT_BODY_CHARS = 2000;

/** A validated access token. */
export interface AccessToken {
  readonly accessToken: string;
  /** Expiry in milliseconds since the epoch, by the local clock. */
  readonly expiresAt: number;
  /** Lifetime granted by the server, in seconds. */
  readonly lifetimeSeconds: number;
}

/** Times that the expiry arithmetic needs, in milliseconds since the epoch. */
export interface ResponseTimes {
  /** When the response arrived, by the local clock. */
  receivedAtMs: number;
  /** The same moment by the token endpoint's clock, as far as it is known. */
  serverNowMs: number;
}

/**
 * Validates a 2xx token response and works out when the token expires.
 *
 * @throws {TokenRequestError} `ERR_TOKEN_RESPONSE_INVALID` naming the rule that failed.
 */
export function parseTokenResponse(
  response: AxiosResponse<string>,
  times: ResponseTimes,
  tokenUri: string,
): AccessToken {
  const body = parseJsonObject(response.data);
  const invalid = (problem: string, advice = 'Check that token_uri points at the Vendasta token endpoint.') =>
    new TokenRequestError(
      'ERR_TOKEN_RESPONSE_INVALID',
      `Token endpoint ${tokenUri} answered HTTP ${response.status}, but ${problem}. ${advice}`,
      { status: response.status, response: describeResponse(response, body) },
    );

  if (body === undefined) throw invalid(`the body is ${describeNonJson(response)}`);
  const accessToken = body.access_token;
  if (typeof accessToken !== 'string' || accessToken.trim() === '') {
    throw invalid(`access_token is ${accessToken === undefined ? 'missing' : 'empty or not a string'}`);
  }
  // A bearer token goes into a header, so only visible ASCII can be used (RFC 6750, b64token).
  if (!/^[\x21-\x7e]+$/.test(accessToken)) {
    throw invalid('access_token contains spaces, control characters or non-ASCII characters, which cannot be sent in a header');
  }
  const tokenType = body.token_type;
  if (tokenType !== undefined && (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer')) {
    throw invalid(`token_type is ${JSON.stringify(tokenType)}, expected "Bearer"`);
  }

  const lifetime = tokenLifetime(body.expires_in, accessToken, times.serverNowMs);
  if (typeof lifetime === 'string') throw invalid(lifetime, 'The token cannot be used.');
  return { accessToken, expiresAt: times.receivedAtMs + lifetime * 1000, lifetimeSeconds: lifetime };
}

/**
 * Works out a token's lifetime in seconds, or returns why it has none.
 *
 * - `expires_in` as a positive number, or a string of one such as `"3600"`, is used.
 * - `expires_in` below {@link MIN_TOKEN_LIFETIME_SECONDS}, or neither a number nor a numeric
 *   string, is rejected.
 * - `expires_in` above {@link MAX_TOKEN_LIFETIME_SECONDS} is clamped to it.
 * - Without `expires_in`, a JWT access token's `exp` claim is used, read against the token
 *   endpoint's clock (`serverNowMs`). An `exp` in the past is rejected.
 * - Otherwise {@link FALLBACK_TOKEN_LIFETIME_SECONDS}.
 */
export function tokenLifetime(expiresIn: unknown, accessToken: string, serverNowMs: number): number | string {
  if (expiresIn !== undefined && expiresIn !== null) return lifetimeFromExpiresIn(expiresIn);

  const exp = jwtExpiry(accessToken);
  if (exp === undefined) return FALLBACK_TOKEN_LIFETIME_SECONDS;
  const seconds = (exp * 1000 - serverNowMs) / 1000;
  if (seconds <= 0) {
    return `expires_in is missing and the access token's exp claim is ${Math.round(-seconds)} s in the past`;
  }
  if (seconds < MIN_TOKEN_LIFETIME_SECONDS) {
    return `expires_in is missing and the access token's exp claim leaves less than ${MIN_TOKEN_LIFETIME_SECONDS} s`;
  }
  return Math.min(seconds, MAX_TOKEN_LIFETIME_SECONDS);
}

function lifetimeFromExpiresIn(expiresIn: unknown): number | string {
  const numeric = typeof expiresIn === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(expiresIn);
  const seconds = numeric ? Number(expiresIn) : expiresIn;
  if (typeof seconds !== 'number' || Number.isNaN(seconds)) {
    return `expires_in is ${describeValue(expiresIn)}, expected a number of seconds`;
  }
  if (seconds <= 0) return `expires_in is ${seconds}, so the token has already expired`;
  if (seconds < MIN_TOKEN_LIFETIME_SECONDS) {
    return `expires_in is ${seconds}, below the minimum of ${MIN_TOKEN_LIFETIME_SECONDS} s (is the server sending milliseconds?)`;
  }
  return Math.min(seconds, MAX_TOKEN_LIFETIME_SECONDS);
}

/** Reads the `exp` claim of a JWT without verifying it, because only the server can. */
function jwtExpiry(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1] === undefined) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' && Number.isFinite(claims.exp) ? claims.exp : undefined;
  } catch {
    return undefined;
  }
}

/** Parses a body that should be a JSON object, or returns undefined. */
export function parseJsonObject(text: unknown): Record<string, unknown> | undefined {
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

/** Describes a body that is not a JSON object, such as `an HTML page (text/html)`. */
export function describeNonJson(response: AxiosResponse<string>): string {
  const text = typeof response.data === 'string' ? response.data.trim() : '';
  const type = String(response.headers['content-type'] ?? 'no Content-Type');
  if (text === '') return `empty (${type})`;
  if (text.startsWith('<')) return `an HTML page (${type}), not JSON`;
  return `not a JSON object (${type})`;
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 20))}`;
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return `${typeof value} ${String(value)}`;
}

/** Matches a JWT (three base64url segments), so an echoed assertion never reaches an error. */
const JWT_PATTERN = /eyJ[\w-]*\.[\w-]*\.[\w-]*/g;

/** Replaces anything that looks like a JWT in server-provided text. */
export function scrubTokens(text: string): string {
  return text
    .replace(JWT_PATTERN, '[REDACTED]')
    .replace(TOKEN_PARAMETER, (_match, name: string, separator: string) => `${name}${separator}[REDACTED]`);
}

// A token-like field in form, query or loose JSON text: `access_token=…`, `"token": "…"` and the like.
const TOKEN_PARAMETER =
  /\b((?!token_type\b)[\w-]*(?:token|secret|password|assertion|api_?key)[\w-]*["']?)(\s*[=:]\s*["']?)(?:bearer\s+)?[^\s"'&,;}]+/gi;

/** Returns whether a JSON field name suggests that its value is a token or another secret. */
function isSecretField(name: string): boolean {
  return /token|secret|assertion|password|api_?key/i.test(name);
}

/**
 * Copies the response for `TokenRequestError.response`: status, headers and body, without the
 * request (which carries the assertion) and with every token value masked.
 */
export function describeResponse(response: AxiosResponse<string>, body: Record<string, unknown> | undefined) {
  let safeBody: unknown;
  if (body !== undefined) {
    const masked: Record<string, unknown> = { ...body };
    for (const field of Object.keys(masked)) {
      if (isSecretField(field) && field !== 'token_type') masked[field] = '[REDACTED]';
    }
    safeBody = JSON.parse(scrubTokens(JSON.stringify(masked)));
  } else if (typeof response.data === 'string' && (response.status < 200 || response.status >= 300)) {
    safeBody = scrubTokens(response.data.slice(0, MAX_KEPT_BODY_CHARS));
  } else if (typeof response.data === 'string') {
    // A 2xx body that is not JSON may be nothing but a token, so only its size is kept.
    safeBody = `[${response.data.length} characters, not kept]`;
  }
  return { status: response.status, headers: scrubHeaders(response.headers), body: safeBody };
}

/** Copies response headers with token-like text masked, because a server may echo the assertion. */
function scrubHeaders(headers: unknown): Record<string, unknown> {
  const safe: Record<string, unknown> = {};
  for (const [name, value] of Object.entries((headers ?? {}) as Record<string, unknown>)) {
    if (/cookie|authorization|token/i.test(name)) safe[name] = '[REDACTED]';
    else safe[name] = typeof value === 'string' ? scrubTokens(value) : Array.isArray(value) ? value.map((item) => scrubTokens(String(item))) : value;
  }
  return safe;
}

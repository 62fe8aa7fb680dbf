/**
 * Stable error codes. A code never changes once released, so callers can branch on it.
 */
export type VendastaAuthErrorCode =
  | 'ERR_CREDENTIALS_INVALID'
  | 'ERR_CREDENTIALS_NOT_FOUND'
  | 'ERR_TOKEN_REQUEST_FAILED'
  | 'ERR_TOKEN_RESPONSE_INVALID'
  | 'ERR_TOKEN_TIMEOUT'
  | 'ERR_OAUTH_INVALID_REQUEST'
  | 'ERR_OAUTH_INVALID_CLIENT'
  | 'ERR_OAUTH_INVALID_GRANT'
  | 'ERR_OAUTH_UNAUTHORIZED_CLIENT'
  | 'ERR_OAUTH_UNSUPPORTED_GRANT_TYPE'
  | 'ERR_OAUTH_INVALID_SCOPE'
  | 'ERR_OAUTH_ERROR'
  | 'ERR_ALREADY_ATTACHED'
  | 'ERR_DETACHED'
  | 'ERR_ABORTED'
  | 'ERR_STORE_TIMEOUT'
  | 'ERR_STORE_UNAVAILABLE';

/**
 * Base class of every error this library raises for a failed authentication step.
 *
 * Caller mistakes in options raise a `TypeError` with a Node-style `code` instead.
 */
export class VendastaAuthError extends Error {
  readonly code: VendastaAuthErrorCode;

  constructor(code: VendastaAuthErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Key formats that look like credentials but cannot sign a Vendasta service-account assertion. */
export type UnsupportedCredentialsFormat =
  | 'pem-key-only'
  | 'pkcs12'
  | 'legacy-key-json'
  | 'google-service-account'
  | 'google-authorized-user'
  | 'api-key';

/**
 * A service-account credentials file or object that is missing or cannot be used.
 */
export class CredentialsError extends VendastaAuthError {
  /** Path of the offending field in the credentials JSON, such as `assertionHeaderData.alg`. */
  readonly field: string | undefined;
  /** The key format found, when it is one this flow cannot use, such as `'google-service-account'`. */
  readonly format: UnsupportedCredentialsFormat | undefined;

  constructor(
    code: 'ERR_CREDENTIALS_INVALID' | 'ERR_CREDENTIALS_NOT_FOUND',
    message: string,
    options?: { cause?: unknown; field?: string; format?: UnsupportedCredentialsFormat },
  ) {
    super(code, message, options);
    this.field = options?.field;
    this.format = options?.format;
  }
}

/** Details of a failed exchange with the token endpoint. */
export interface TokenRequestErrorDetails {
  cause?: unknown;
  /** HTTP status of the last response, if one arrived. */
  status?: number;
  /** The RFC 6749 `error` value, such as `invalid_grant`. */
  oauthError?: string;
  /** The RFC 6749 `error_description` value. */
  oauthErrorDescription?: string;
  /** Number of HTTP attempts made, retries included. */
  attempts?: number;
  /** The wait that the server asked for with `Retry-After`, or the rest of a cooldown, in ms. */
  retryAfterMs?: number;
  /** Measured offset of the token endpoint's clock from this host's, in ms. */
  clockOffsetMs?: number;
  /** The raw response. Kept non-enumerable so that loggers do not serialise it. */
  response?: unknown;
}

/**
 * A token request that failed: a network error, a timeout, an OAuth error or an unusable response.
 */
export class TokenRequestError extends VendastaAuthError {
  readonly status: number | undefined;
  readonly oauthError: string | undefined;
  readonly oauthErrorDescription: string | undefined;
  attempts: number;
  /** The wait that the server asked for with `Retry-After`, or the rest of a cooldown, in ms. */
  retryAfterMs: number | undefined;
  /** Measured offset of the token endpoint's clock from this host's, in ms; set on `invalid_grant`. */
  clockOffsetMs: number | undefined;
  declare readonly response: unknown;

  constructor(code: VendastaAuthErrorCode, message: string, details: TokenRequestErrorDetails = {}) {
    super(code, message, { cause: details.cause });
    this.status = details.status;
    this.oauthError = details.oauthError;
    this.oauthErrorDescription = details.oauthErrorDescription;
    this.attempts = details.attempts ?? 1;
    this.retryAfterMs = details.retryAfterMs;
    this.clockOffsetMs = details.clockOffsetMs;
    Object.defineProperty(this, 'response', { value: details.response, enumerable: false });
    if ('cause' in this) {
      Object.defineProperty(this, 'cause', { enumerable: false });
    }
  }
}

const oauthErrorCodes: Record<string, VendastaAuthErrorCode> = {
  invalid_request: 'ERR_OAUTH_INVALID_REQUEST',
  invalid_client: 'ERR_OAUTH_INVALID_CLIENT',
  invalid_grant: 'ERR_OAUTH_INVALID_GRANT',
  unauthorized_client: 'ERR_OAUTH_UNAUTHORIZED_CLIENT',
  unsupported_grant_type: 'ERR_OAUTH_UNSUPPORTED_GRANT_TYPE',
  invalid_scope: 'ERR_OAUTH_INVALID_SCOPE',
};

/** Maps an RFC 6749 section 5.2 `error` value to our error code. */
export function codeForOAuthError(oauthError: string): VendastaAuthErrorCode {
  return oauthErrorCodes[oauthError] ?? 'ERR_OAUTH_ERROR';
}

/** Returns whether `value` is a `VendastaAuthError`, also across copies of this package. */
export function isVendastaAuthError(value: unknown): value is VendastaAuthError {
  return (
    value instanceof VendastaAuthError ||
    (value instanceof Error &&
      typeof (value as { code?: unknown }).code === 'string' &&
      /^(VendastaAuthError|CredentialsError|TokenRequestError)$/.test(value.name))
  );
}

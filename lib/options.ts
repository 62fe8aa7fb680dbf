import type { CredentialsInput } from './credentials.js';
import type { Logger } from './logger.js';
import type { TokenStore } from './stores/types.js';
import type { GrantType, RetryOptions } from './token-endpoint.js';

/** A URL matcher: an origin such as `https://api.example.com`, with `*.` allowed in the host. */
export type HostPattern = string;

/** Options of `attachVendastaAuth`. */
export interface VendastaAuthOptions {
  /**
   * The service-account credentials: a file path, a JSON string or the parsed object.
   * @default the file named by `VENDASTA_APPLICATION_CREDENTIALS`
   */
  credentials?: CredentialsInput;
  /** Scopes of the default token, as an array or a space-separated string. */
  scopes: string | readonly string[];
  /**
   * Token endpoint URL, overriding `token_uri` from the credentials.
   * @default the credentials' `token_uri`
   */
  tokenUri?: string;
  /**
   * A token counts as expired this many seconds before it really expires, clamped to a quarter
   * of its lifetime.
   * @default 60
   */
  expiryMarginSeconds?: number;
  /**
   * Seconds before the expiry margin in which a request triggers a background refresh while the
   * cached token keeps serving. Clamped to half the token's lifetime. `0` turns refresh-ahead off.
   * @default 300
   */
  refreshAheadSeconds?: number;
  /**
   * Grant that exchanges the signed assertion for a token. `'client_credentials'` sends it as
   * `client_assertion` of a client-credentials grant, for standard OAuth 2.0 servers.
   * @default 'jwt-bearer'
   */
  grant?: GrantType;
  /**
   * `aud` claim of the assertion, in place of the credentials' `assertionPayloadData.aud`. Standard
   * servers expect their issuer identifier or token endpoint URL here.
   * @default the credentials' `assertionPayloadData.aud`
   */
  audience?: string;
  /**
   * Seconds between `iat` and `exp` of each assertion, at most 600.
   * @default 300
   */
  assertionLifetimeSeconds?: number;
  /**
   * Deadline of one token fetch, retries included, in milliseconds.
   * @default 30000
   */
  timeoutMs?: number;
  /**
   * Deadline of one HTTP attempt at the token endpoint, in milliseconds.
   * @default 10000
   */
  attemptTimeoutMs?: number;
  /**
   * Retry settings of the token request, or `false` for a single attempt.
   * @default { retries: 4, minTimeoutMs: 200, maxTimeoutMs: 5000, factor: 2, maxRetryAfterMs: 60000 }
   */
  retry?: RetryOptions | false;
  /**
   * Cooldown after a failed token fetch, in milliseconds, during which requests for the same
   * scopes fail fast with the same error instead of each starting a token request. After a failure
   * that repeating will not fix (an OAuth error, another 4xx, an invalid response), the cooldown is
   * this long. After a passing one (network errors, timeouts, 5xx), it continues the retry backoff
   * from 1 s and this is its upper bound. A `Retry-After` header lengthens it. `0` turns it off,
   * except for `Retry-After`.
   * @default 10000
   */
  cooldownMs?: number;
  /**
   * Replaces the Authorization value with `Bearer [REDACTED]` in the config of an AxiosError that
   * reaches the caller, for requests this plugin authorized.
   * @default true
   */
  maskAuthorizationInErrors?: boolean;
  /**
   * Origins that receive the token. Replaces the default list.
   * @default the instance's `baseURL` origin and `https://*.apigateway.co`
   */
  allowedHosts?: readonly HostPattern[] | ((url: URL) => boolean);
  /**
   * Shared token storage, for example between processes through Redis.
   * @default a new `MemoryTokenStore`
   */
  store?: TokenStore;
  /**
   * A pino-style logger for token fetches, retries and failures. The plugin is silent without it.
   * @default undefined
   */
  logger?: Logger;
}

/** Validates an optional option whose value must be one of `allowed`, and returns it or its default. */
export function enumOption<T extends string>(options: Record<string, unknown>, name: string, allowed: readonly T[], fallback: T): T {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw invalidOption(name, `must be one of ${allowed.map((item) => `'${item}'`).join(', ')}, got ${JSON.stringify(value)}.`);
  }
  return value as T;
}

/** Maximum delay that Node's timers accept, in milliseconds. */
export const MAX_TIMER_MS = 2_147_483_647;

/** Builds a `TypeError` with a Node-style code that names the option. */
export function invalidOption(
  name: string,
  message: string,
  code: 'ERR_INVALID_ARG_VALUE' | 'ERR_INVALID_ARG_TYPE' = 'ERR_INVALID_ARG_VALUE',
): TypeError {
  return Object.assign(new TypeError(`Option \`${name}\` ${message}`), { code });
}

/** Validates an optional number option and returns it or its default. */
export function numberOption(
  options: Record<string, unknown>,
  name: string,
  fallback: number,
  limits: { min: number; max?: number; integer?: boolean },
): number {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number') {
    throw invalidOption(name, `must be a number, got ${value === null ? 'null' : typeof value}.`, 'ERR_INVALID_ARG_TYPE');
  }
  if (!Number.isFinite(value)) {
    throw invalidOption(name, `must be a finite number, got ${value}.`);
  }
  if (limits.integer === true && !Number.isInteger(value)) {
    throw invalidOption(name, `must be a whole number, got ${value}.`);
  }
  if (value < limits.min || (limits.max !== undefined && value > limits.max)) {
    const range = limits.max === undefined ? `at least ${limits.min}` : `between ${limits.min} and ${limits.max}`;
    throw invalidOption(name, `must be ${range}, got ${value}.`);
  }
  return value;
}

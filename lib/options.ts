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

/** Every option that `attachVendastaAuth` reads, to catch a misspelt one. */
const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  'credentials',
  'scopes',
  'tokenUri',
  'expiryMarginSeconds',
  'refreshAheadSeconds',
  'grant',
  'audience',
  'assertionLifetimeSeconds',
  'timeoutMs',
  'attemptTimeoutMs',
  'retry',
  'cooldownMs',
  'maskAuthorizationInErrors',
  'allowedHosts',
  'store',
  'logger',
]);

const STORE_METHODS = ['get', 'set', 'delete'] as const;
const LOGGER_METHODS = ['debug', 'info', 'warn', 'error'] as const;

/**
 * Rejects unknown option names and a `store` or `logger` of the wrong shape, which would
 * otherwise fail quietly at the first request or log nothing.
 */
export function validateOptionShapes(options: Record<string, unknown>): void {
  for (const name of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(name)) {
      const hint = name === 'scope' ? ' Did you mean `scopes`?' : '';
      throw invalidOption(name, `is not an option of attachVendastaAuth.${hint} Known options: ${[...KNOWN_OPTIONS].join(', ')}.`);
    }
  }

  const { store, logger } = options;
  if (store !== undefined) {
    const missing = STORE_METHODS.filter((method) => typeof (store as Record<string, unknown> | null)?.[method] !== 'function');
    if (typeof store !== 'object' || store === null || missing.length > 0) {
      throw invalidOption('store', `must implement TokenStore (get, set and delete methods); missing: ${missing.join(', ') || 'all'}.`, 'ERR_INVALID_ARG_TYPE');
    }
  }
  if (logger !== undefined) {
    const methods = LOGGER_METHODS.filter((method) => (logger as Record<string, unknown> | null)?.[method] != null);
    const broken = methods.filter((method) => typeof (logger as Record<string, unknown>)[method] !== 'function');
    if (typeof logger !== 'object' || logger === null || methods.length === 0 || broken.length > 0) {
      throw invalidOption('logger', 'must be an object with debug, info, warn or error methods, such as a pino logger.', 'ERR_INVALID_ARG_TYPE');
    }
  }
}

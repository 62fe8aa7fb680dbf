import type { AxiosInstance } from 'axios';

import type { CredentialsInput, ServiceAccount } from './credentials.js';
import { CredentialsLoader } from './credentials-reload.js';
import { VendastaAuthError } from './errors.js';
import { createEmitter, emitSafely, type VendastaAuthEmitter } from './events.js';
import { HostPolicy } from './host-policy.js';
import { createRequestInterceptor, createResponseInterceptor, type InterceptorContext } from './interceptors.js';
import { createLog } from './logger.js';
import { enumOption, invalidOption, MAX_TIMER_MS, numberOption, validateOptionShapes, type VendastaAuthOptions } from './options.js';
import { normalizeScopes } from './scopes.js';
import { MemoryTokenStore } from './stores/memory.js';
import type { RetryOptions } from './token-endpoint.js';
import { TokenSource, type Emit, type TokenSourceSettings } from './token-source.js';

/** The handle that `attachVendastaAuth` returns. */
export interface VendastaAuth {
  /** Typed mitt emitter of token and request events. */
  readonly events: VendastaAuthEmitter;
  /** The service account in use, without its key. */
  readonly serviceAccount: ServiceAccount;
  /** Returns an access token for `scopes` (default: the attached scopes), from the cache when fresh. */
  getAccessToken(scopes?: string | readonly string[]): Promise<string>;
  /** Drops every cached token, so the next request fetches a new one. */
  invalidate(): void;
  /**
   * Loads the credentials again (from `credentials` if given, else from the original file or
   * input), validates them, signs with the new key from now on and drops every cached token.
   * Returns the new service account. On invalid credentials it throws and keeps the current key.
   *
   * @throws {CredentialsError} for missing or invalid credentials.
   * @throws {VendastaAuthError} `ERR_DETACHED` after `detach()`.
   */
  reload(credentials?: CredentialsInput): ServiceAccount;
  /** Ejects both interceptors, aborts token fetches and removes every event listener. */
  detach(): void;
}

const attached = new WeakMap<AxiosInstance, VendastaAuth>();

/**
 * Authorizes every request of an axios instance as a Vendasta service account.
 *
 * Credentials are read and checked here, so a bad file fails at start-up and not at the first
 * request.
 *
 * @throws {CredentialsError} for missing or invalid credentials.
 * @throws {TypeError} for invalid options.
 * @throws {VendastaAuthError} `ERR_ALREADY_ATTACHED` if the instance already has the plugin.
 */
export function attachVendastaAuth(instance: AxiosInstance, options: VendastaAuthOptions): VendastaAuth {
  if (typeof instance !== 'function' || typeof instance.interceptors?.request?.use !== 'function') {
    throw Object.assign(new TypeError('attachVendastaAuth expects an axios instance, such as axios.create().'), {
      code: 'ERR_INVALID_ARG_TYPE',
    });
  }
  if (typeof options !== 'object' || options === null) {
    throw invalidOption('options', 'must be an object with at least `scopes`.');
  }
  if (attached.has(instance)) {
    throw new VendastaAuthError(
      'ERR_ALREADY_ATTACHED',
      'This axios instance already has vendasta-axios-auth attached. Call detach() on the first handle before attaching again.',
    );
  }

  validateOptionShapes(options as unknown as Record<string, unknown>);
  const scopes = normalizeScopes(options.scopes, 'scopes');
  const log = createLog(options.logger);
  const credentials = new CredentialsLoader(options.credentials, options.tokenUri, log);
  const account = credentials.load();
  const settings = readSettings(options as unknown as Record<string, unknown>, account);
  settings.reloadAccount = () => credentials.reloadChangedFile(source.account);
  const hostPolicy = new HostPolicy(options.allowedHosts);
  const store = options.store ?? new MemoryTokenStore();

  const events = createEmitter();
  const emit: Emit = (type, payload) =>
    emitSafely(events, type, payload, (error, event) =>
      log('warn', { event, error: error instanceof Error ? error.message : String(error) }, 'An event listener threw; the request goes on.'),
    );
  const source = new TokenSource(account, settings, store, emit, log);
  const maskAuthorization = readBoolean(options as unknown as Record<string, unknown>, 'maskAuthorizationInErrors', true);
  const context: InterceptorContext = { instance, source, hostPolicy, defaultScopes: scopes, emit, maskAuthorization };

  const requestId = instance.interceptors.request.use(createRequestInterceptor(context));
  const responseInterceptor = createResponseInterceptor(context);
  const responseId = instance.interceptors.response.use(responseInterceptor.onFulfilled, responseInterceptor.onRejected);

  let detached = false;
  const auth: VendastaAuth = {
    events,
    get serviceAccount() {
      return source.account;
    },
    async getAccessToken(requested) {
      const key = source.keyFor(requested === undefined ? scopes : normalizeScopes(requested));
      return (await source.getToken(key)).accessToken;
    },
    invalidate() {
      source.invalidateAll('manual');
    },
    reload(input) {
      if (detached) {
        throw new VendastaAuthError('ERR_DETACHED', 'The auth plugin was detached: attach it again before reloading credentials.');
      }
      const next = credentials.load(input);
      source.replaceAccount(next);
      log('info', { keyId: next.keyId, keyFingerprint: next.keyFingerprint }, 'Reloaded the credentials.');
      return next;
    },
    detach() {
      if (detached) return;
      detached = true;
      instance.interceptors.request.eject(requestId);
      instance.interceptors.response.eject(responseId);
      source.close();
      events.all.clear();
      attached.delete(instance);
    },
  };
  attached.set(instance, auth);
  return auth;
}

function readSettings(options: Record<string, unknown>, account: ServiceAccount): TokenSourceSettings {
  const timeoutMs = numberOption(options, 'timeoutMs', 30_000, { min: 1, max: MAX_TIMER_MS, integer: true });
  return {
    endpoint: {
      tokenUri: account.tokenUri,
      grant: enumOption(options, 'grant', ['jwt-bearer', 'client_credentials'], 'jwt-bearer'),
      audience: optionalString(options, 'audience'),
      assertionLifetimeSeconds: numberOption(options, 'assertionLifetimeSeconds', 300, { min: 30, max: 600, integer: true }),
      attemptTimeoutMs: numberOption(options, 'attemptTimeoutMs', 10_000, { min: 1, max: MAX_TIMER_MS, integer: true }),
      retry: readRetry(options.retry),
    },
    expiryMarginMs: numberOption(options, 'expiryMarginSeconds', 60, { min: 0, max: 86_400 }) * 1000,
    refreshAheadMs: numberOption(options, 'refreshAheadSeconds', 300, { min: 0, max: 86_400 }) * 1000,
    timeoutMs,
    cooldownMs: numberOption(options, 'cooldownMs', 10_000, { min: 0, max: MAX_TIMER_MS }),
    leaseMs: Math.min(timeoutMs, 30_000),
    // Half the deadline at most, so a waiter whose lease holder died still has time to fetch.
    leaseWaitMs: Math.min(timeoutMs / 2, 10_000),
  };
}

function optionalString(options: Record<string, unknown>, name: string): string | undefined {
  const value = options[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') throw invalidOption(name, `must be a non-empty string, got ${JSON.stringify(value)}.`);
  return value;
}

const RETRY_FIELDS = ['retries', 'minTimeoutMs', 'maxTimeoutMs', 'factor', 'maxRetryAfterMs'];

function readRetry(retry: unknown): Required<RetryOptions> {
  if (retry === false) return { retries: 0, minTimeoutMs: 0, maxTimeoutMs: 0, factor: 1, maxRetryAfterMs: 60_000 };
  if (retry !== undefined && (typeof retry !== 'object' || retry === null || Array.isArray(retry))) {
    throw invalidOption('retry', 'must be an object such as { retries: 4 } or false.');
  }
  const fields = (retry ?? {}) as Record<string, unknown>;
  for (const name of Object.keys(fields)) {
    if (!RETRY_FIELDS.includes(name)) {
      throw invalidOption(`retry.${name}`, `is not a retry setting. Known settings: ${RETRY_FIELDS.join(', ')}.`);
    }
  }
  const prefixed = (name: string) => `retry.${name}`;
  const read = (name: string, fallback: number, limits: { min: number; max?: number; integer?: boolean }) => {
    try {
      return numberOption(fields, name, fallback, limits);
    } catch (error) {
      const code = (error as { code?: 'ERR_INVALID_ARG_TYPE' }).code;
      throw invalidOption(prefixed(name), (error as Error).message.replace(/^Option `[^`]+` /, ''), code);
    }
  };
  const minTimeoutMs = read('minTimeoutMs', 200, { min: 0, max: MAX_TIMER_MS });
  const maxTimeoutMs = read('maxTimeoutMs', Math.max(5000, minTimeoutMs), { min: 0, max: MAX_TIMER_MS });
  if (maxTimeoutMs < minTimeoutMs) {
    throw invalidOption('retry.maxTimeoutMs', `(${maxTimeoutMs}) must not be less than retry.minTimeoutMs (${minTimeoutMs}).`);
  }
  return {
    retries: read('retries', 4, { min: 0, max: 20, integer: true }),
    minTimeoutMs,
    maxTimeoutMs,
    factor: read('factor', 2, { min: 1, max: 10 }),
    maxRetryAfterMs: read('maxRetryAfterMs', 60_000, { min: 0, max: MAX_TIMER_MS }),
  };
}

function readBoolean(options: Record<string, unknown>, name: string, fallback: boolean): boolean {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw invalidOption(name, `must be true or false, got ${typeof value}.`, 'ERR_INVALID_ARG_TYPE');
  }
  return value;
}

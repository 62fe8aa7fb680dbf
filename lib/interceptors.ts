import axios, {
  AxiosError,
  AxiosHeaders,
  type AxiosInstance,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from 'axios';

import type { SkipReason } from './events.js';
import { ABSOLUTE_URL, requestOrigin, type HostPolicy } from './host-policy.js';
import { guardRedirects } from './redirect-guard.js';
import { normalizeScopes } from './scopes.js';
import type { CachedToken, Emit, TokenSource } from './token-source.js';

/** Per-request options, set as `vendastaAuth` in an axios request config. */
export interface VendastaAuthRequestOptions {
  /** Scopes for this request's token instead of the default ones. */
  scopes?: string | readonly string[];
}

declare module 'axios' {
  interface AxiosRequestConfig {
    /** `false` sends the request without a token; an object changes the scopes for this request. */
    vendastaAuth?: false | VendastaAuthRequestOptions;
    /** Set by vendasta-axios-auth on requests it authorized. Not for callers. */
    vendastaAuthState?: AuthState;
  }

  interface AxiosError {
    /**
     * Reason that vendasta-axios-auth returned this 401 error without its one retry.
     * Absent when the request was retried or the plugin did not authorize it.
     */
    vendastaAuthNotRetried?: NotRetriedReason;
  }
}

/**
 * Record of what the request interceptor did to a request, for the response interceptor. It lives
 * on the config, and axios copies class instances by reference when it merges a config again.
 */
export class AuthState {
  readonly key: string;
  readonly #entry: CachedToken;
  readonly retried: boolean;
  /** Whether a redirect led to another origin, so the final response came from a host without the token. */
  crossedOrigin = false;

  constructor(key: string, entry: CachedToken, retried: boolean) {
    this.key = key;
    this.#entry = entry;
    this.retried = retried;
  }

  get entry(): CachedToken {
    return this.#entry;
  }

  toJSON(): { retried: boolean } {
    return { retried: this.retried };
  }
}

/**
 * Reason a 401 response was returned without the one retry. `'body-not-replayable'` means that the
 * request body was a stream or another one-shot body that cannot be sent a second time.
 */
export type NotRetriedReason = 'body-not-replayable';

export interface InterceptorContext {
  readonly instance: AxiosInstance;
  readonly source: TokenSource;
  readonly hostPolicy: HostPolicy;
  /** The normalised default scopes. Keys are derived per request, because `reload()` may change them. */
  readonly defaultScopes: readonly string[];
  readonly emit: Emit;
  /** Whether an AxiosError that reaches the caller shows `Bearer [REDACTED]`. */
  readonly maskAuthorization: boolean;
}

const REDACTED = 'Bearer [REDACTED]';
const MAX_CACHED_SCOPE_SETS = 1000;

/** A request interceptor, typed without the generic arguments that differ between axios 1.x releases. */
type RequestInterceptor = (
  config: InternalAxiosRequestConfig,
) => InternalAxiosRequestConfig | Promise<InternalAxiosRequestConfig>;

/** The response interceptors, typed without the generic arguments that differ between axios 1.x releases. */
interface ResponseInterceptors {
  onFulfilled: (response: AxiosResponse) => AxiosResponse | Promise<AxiosResponse>;
  onRejected: (error: unknown) => Promise<AxiosResponse>;
}

/** Builds the request interceptor that adds `Authorization: Bearer <token>`. */
export function createRequestInterceptor(context: InterceptorContext): RequestInterceptor {
  const { instance, source, hostPolicy, emit } = context;
  const normalized = new Map<string, readonly string[]>();

  // The default key is derived once per service account, because reload() may change it.
  let defaultKey = { account: source.account, key: source.keyFor(context.defaultScopes) };
  const keyFor = (scopes: VendastaAuthRequestOptions['scopes']): string => {
    if (scopes === undefined) {
      if (defaultKey.account !== source.account) {
        defaultKey = { account: source.account, key: source.keyFor(context.defaultScopes) };
      }
      return defaultKey.key;
    }
    if (typeof scopes !== 'string' && !Array.isArray(scopes)) return source.keyFor(normalizeScopes(scopes, 'vendastaAuth.scopes'));
    const lookup = typeof scopes === 'string' ? scopes : scopes.join('\n');
    let found = normalized.get(lookup);
    if (found === undefined) {
      found = normalizeScopes(scopes, 'vendastaAuth.scopes');
      if (normalized.size >= MAX_CACHED_SCOPE_SETS) normalized.clear();
      normalized.set(lookup, found);
    }
    return source.keyFor(found);
  };

  const skip = (config: InternalAxiosRequestConfig, reason: SkipReason) => {
    emit('request:skip', { method: methodOf(config), url: urlOf(config), reason });
    return config;
  };

  // The origin of relative URLs is the same for every request on one baseURL, so keep the last.
  let lastBase: { baseURL: string | undefined; origin: string | undefined } | undefined;
  const originOf = (config: InternalAxiosRequestConfig): string | undefined => {
    const url = targetUrl(config);
    if (url !== undefined && ABSOLUTE_URL.test(url)) return requestOrigin(url, config.baseURL);
    if (lastBase === undefined || lastBase.baseURL !== config.baseURL) {
      lastBase = { baseURL: config.baseURL, origin: requestOrigin(url, config.baseURL) };
    }
    return lastBase.origin;
  };

  const authorize = (config: InternalAxiosRequestConfig, key: string, entry: CachedToken, retried: boolean) => {
    config.headers.set('Authorization', `Bearer ${entry.accessToken}`);
    const state = new AuthState(key, entry, retried);
    config.vendastaAuthState = state;
    const origin = originOf(config);
    // NOTE: only axios' Node http adapter calls beforeRedirect. With the fetch adapter a 401 from a
    // cross-origin redirect target still drops the token, though fetch never sends it there.
    if (origin !== undefined) {
      config.beforeRedirect = guardRedirects(origin, config.beforeRedirect, () => {
        state.crossedOrigin = true;
      });
    }
    return config;
  };

  // NOTE: in `npm run bench` this interceptor and the response handlers add about 1.9 us per
  // request with a no-op adapter (target 2 us). That is 1.07 times a hand-written interceptor
  // (target 1.0), and sequential loopback requests take 1.04 times as long as bare axios (target
  // 1.03). The cost is spread over the header lookup and set, the AuthState, the redirect guard
  // and the response handler's step in the promise chain. Figures: docs/benchmarks.md.
  // Not async: with a fresh cached token it returns the config without another promise.
  return function authorizeRequest(
    config: InternalAxiosRequestConfig,
  ): InternalAxiosRequestConfig | Promise<InternalAxiosRequestConfig> {
    const options = config.vendastaAuth;
    const previous = config.vendastaAuthState instanceof AuthState ? config.vendastaAuthState : undefined;

    if (options === false) return skip(config, 'opt-out');
    if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
      throw Object.assign(
        new TypeError(`Request option \`vendastaAuth\` must be false or an object such as { scopes: ['profile'] }, got ${options === null ? 'null' : typeof options}.`),
        { code: 'ERR_INVALID_ARG_TYPE' },
      );
    }
    if (options !== undefined) {
      for (const name of Object.keys(options)) {
        if (name !== 'scopes') {
          throw Object.assign(
            new TypeError(`Request option \`vendastaAuth.${name}\` is unknown: the only field is \`scopes\`.`),
            { code: 'ERR_INVALID_ARG_VALUE' },
          );
        }
      }
    }
    // Checked before any skip, so a malformed option fails on every host alike.
    if (options?.scopes !== undefined) keyFor(options.scopes);
    if (previous === undefined && config.headers.has('Authorization')) {
      return skip(config, 'explicit-authorization');
    }
    if (ambiguousTarget(config)) return skip(config, 'host-not-allowed');
    const denied = hostPolicy.check(targetUrl(config), config.baseURL, instance.defaults.baseURL);
    if (denied !== null) return skip(config, denied);

    const key = keyFor(options?.scopes);
    const retried = previous?.retried ?? false;
    const cached = source.peek(key);
    if (cached !== undefined) return authorize(config, key, cached, retried);
    return waitForToken(source, key, config).then((entry) => authorize(config, key, entry, retried));
  };
}

/**
 * Returns the URL whose origin the request goes to, as axios resolves it: with
 * `allowAbsoluteUrls: false` (axios 1.8 and later) even an absolute `url` is appended to `baseURL`,
 * so the request goes to the baseURL's origin and `url` must not decide the host policy.
 */
function targetUrl(config: InternalAxiosRequestConfig): string | undefined {
  const allowAbsolute = (config as { allowAbsoluteUrls?: boolean }).allowAbsoluteUrls;
  return allowAbsolute === false && config.baseURL ? undefined : config.url;
}

/**
 * Returns whether the request's host depends on the axios release: with `allowAbsoluteUrls: false`
 * and an absolute `url` on another origin than `baseURL`, axios 1.8.2 and later request the
 * baseURL's origin, while older releases ignore the flag and request the url's. Such a request
 * gets no token, because only one of the two origins may be allowed.
 */
function ambiguousTarget(config: InternalAxiosRequestConfig): boolean {
  const allowAbsolute = (config as { allowAbsoluteUrls?: boolean }).allowAbsoluteUrls;
  if (allowAbsolute !== false || !config.baseURL || config.url === undefined || !ABSOLUTE_URL.test(config.url)) {
    return false;
  }
  return requestOrigin(config.url, undefined) !== requestOrigin(undefined, config.baseURL);
}

/**
 * Builds the response interceptors that retry a request once after a 401: `onFulfilled` for a 401
 * that the caller's `validateStatus` accepts, `onRejected` for the usual case.
 */
export function createResponseInterceptor(context: InterceptorContext): ResponseInterceptors {
  const { instance, source, emit } = context;
  const redact = (error: AxiosError) => (context.maskAuthorization ? redactError(error) : hideRequest(error));

  // Retry once, and only when all of these hold. The response is a 401 to a request that this
  // plugin authorized, and it came from the origin that got the token, not from a redirect
  // elsewhere. The request was not already the retry, and its body can be sent again byte for byte.
  const retry = (config: InternalAxiosRequestConfig, state: AuthState) => {
    config.vendastaAuthState = new AuthState(state.key, state.entry, true);
    emit('request:retry', { method: methodOf(config), url: urlOf(config) });
    return instance.request(config);
  };

  return {
    onFulfilled: function retryAcceptedUnauthorized(response: AxiosResponse) {
      if (response.status !== 401) return response;
      const state = response.config.vendastaAuthState;
      if (!(state instanceof AuthState) || state.retried || state.crossedOrigin) return response;
      source.invalidate(state.key, state.entry, 'unauthorized');
      return isReplayable(response.config.data) ? retry(response.config, state) : response;
    },

    onRejected: async function retryUnauthorized(error: unknown) {
      if (!axios.isAxiosError(error) || error.config === undefined) throw error;
      const config = error.config;
      const state = config.vendastaAuthState;
      // The request objects of any error can reach a token through a shared keep-alive socket.
      if (!(state instanceof AuthState)) throw hideRequest(error);

      if (error.response?.status !== 401 || state.retried || state.crossedOrigin) throw redact(error);
      source.invalidate(state.key, state.entry, 'unauthorized');
      if (!isReplayable(config.data)) {
        error.vendastaAuthNotRetried = 'body-not-replayable';
        throw redact(error);
      }
      return retry(config, state);
    },
  };
}

/**
 * The constructor signature of `CanceledError` at run time in every axios 1.x release. The
 * declarations of axios 1.7 describe AxiosError's `(message, code, config)` instead.
 */
type CanceledErrorConstructor = new (message: string | undefined, config: InternalAxiosRequestConfig) => Error;

function canceledError(config: InternalAxiosRequestConfig): Error {
  const Canceled = axios.CanceledError as unknown as CanceledErrorConstructor;
  return new Canceled(undefined, config);
}

/**
 * Waits for a token on behalf of one request. The request's `signal` and `timeout` end only this
 * wait, as axios' own cancellation and timeout would, and the shared fetch goes on for others.
 */
// NOTE: in `npm run bench`, 10,000 concurrent requests on a cold cache took 1.02 to 1.15 times one
// token fetch plus the same burst through bare axios (target 1.1), from run to run on a 2-core
// machine. Each waiter here adds its own promise chain and, with a request timeout, a timer.
async function waitForToken(source: TokenSource, key: string, config: InternalAxiosRequestConfig): Promise<CachedToken> {
  const callerSignal = config.signal as AbortSignal | undefined;
  if (isAborted(callerSignal)) throw canceledError(config);
  const timeoutMs = typeof config.timeout === 'number' && config.timeout > 0 ? config.timeout : 0;
  const waitSignal = linkSignals(callerSignal, timeoutMs);

  try {
    return await source.getToken(key, waitSignal.signal);
  } catch (error) {
    if (isAborted(callerSignal)) throw canceledError(config);
    if (waitSignal.timedOut()) throw timeoutError(config, timeoutMs);
    throw error;
  } finally {
    waitSignal.dispose();
  }
}

function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/** Combines the caller's signal with a timer of `timeoutMs` (0 for none) into one signal. */
function linkSignals(callerSignal: AbortSignal | undefined, timeoutMs: number) {
  if (timeoutMs === 0) return { signal: callerSignal, timedOut: () => false, dispose: () => {} };

  const controller = new AbortController();
  const onAbort = () => controller.abort(callerSignal?.reason);
  if (callerSignal?.aborted === true) onAbort();
  callerSignal?.addEventListener('abort', onAbort, { once: true });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error('timeout'));
  }, timeoutMs);
  // The token fetch keeps the process alive while someone waits for it; this timer need not.
  timer.unref();

  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    dispose: () => {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onAbort);
    },
  };
}

/** Builds the error that axios itself raises when a request passes its `timeout`. */
function timeoutError(config: InternalAxiosRequestConfig, timeoutMs: number): AxiosError {
  const clarify = config.transitional?.clarifyTimeoutError === true;
  const message = config.timeoutErrorMessage ?? `timeout of ${timeoutMs}ms exceeded while waiting for an access token`;
  return new AxiosError(message, clarify ? AxiosError.ETIMEDOUT : AxiosError.ECONNABORTED, config);
}

/** Masks the token in an error that reaches the caller, and hides the raw request objects. */
function redactError(error: AxiosError): AxiosError {
  const headers = error.config?.headers;
  if (headers instanceof AxiosHeaders && headers.has('Authorization')) headers.set('Authorization', REDACTED);
  return hideRequest(error);
}

function hideRequest(error: AxiosError): AxiosError {
  // A stream body was piped into the Node request, so it links to the raw headers too.
  if (error.config !== undefined && !isReplayable(error.config.data)) {
    Object.defineProperty(error.config, 'data', { enumerable: false });
  }
  // The Node request object keeps the raw header text, token included.
  if ('request' in error) Object.defineProperty(error, 'request', { enumerable: false });
  if (error.response !== undefined && 'request' in error.response) {
    Object.defineProperty(error.response, 'request', { enumerable: false });
  }
  return error;
}

/** Returns whether a request body that axios already transformed can be sent a second time. */
export function isReplayable(data: unknown): boolean {
  if (data === undefined || data === null || typeof data === 'string') return true;
  if (data instanceof URLSearchParams || data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return true;
  if (typeof Blob !== 'undefined' && data instanceof Blob) return true;
  if (typeof FormData !== 'undefined' && data instanceof FormData) return true;
  return typeof data === 'object' && (data.constructor === Object || data.constructor === undefined);
}

function methodOf(config: InternalAxiosRequestConfig): string {
  return (config.method ?? 'get').toUpperCase();
}

function urlOf(config: InternalAxiosRequestConfig): string {
  const url = config.url ?? '';
  if (/^[a-z][a-z\d+\-.]*:\/\//i.test(url) || config.baseURL === undefined) return url;
  return `${config.baseURL.replace(/\/+$/, '')}/${url.replace(/^\/+/, '')}`;
}

import axios, {
  AxiosHeaders,
  type AxiosError,
  type AxiosInstance,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from 'axios';

import type { SkipReason } from './events.js';
import type { HostPolicy } from './host-policy.js';
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
}

/**
 * What the request interceptor did to a request, for the response interceptor. It lives on the
 * config, and axios copies class instances by reference when it merges a config again for a retry.
 */
export class AuthState {
  readonly key: string;
  readonly #entry: CachedToken;
  readonly retried: boolean;

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

/** Why a 401 answer was handed back without the one retry. */
export type NotRetriedReason = 'body-not-replayable';

export interface InterceptorContext {
  readonly instance: AxiosInstance;
  readonly source: TokenSource;
  readonly hostPolicy: HostPolicy;
  readonly defaultKey: string;
  readonly emit: Emit;
}

const REDACTED = 'Bearer [REDACTED]';

/** Builds the request interceptor that adds `Authorization: Bearer <token>`. */
export function createRequestInterceptor(context: InterceptorContext) {
  const { instance, source, hostPolicy, emit } = context;
  const keysByScopes = new Map<string, string>();

  const keyFor = (scopes: VendastaAuthRequestOptions['scopes']): string => {
    if (scopes === undefined) return context.defaultKey;
    if (typeof scopes !== 'string' && !Array.isArray(scopes)) return source.keyFor(normalizeScopes(scopes, 'vendastaAuth.scopes'));
    const lookup = typeof scopes === 'string' ? scopes : scopes.join('\n');
    let key = keysByScopes.get(lookup);
    if (key === undefined) {
      key = source.keyFor(normalizeScopes(scopes, 'vendastaAuth.scopes'));
      keysByScopes.set(lookup, key);
    }
    return key;
  };

  const skip = (config: InternalAxiosRequestConfig, reason: SkipReason) => {
    emit('request:skip', { method: methodOf(config), url: urlOf(config), reason });
    return config;
  };

  return async function authorizeRequest(config: InternalAxiosRequestConfig) {
    const options = config.vendastaAuth;
    const previous = config.vendastaAuthState instanceof AuthState ? config.vendastaAuthState : undefined;

    if (options === false) return skip(config, 'opt-out');
    if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
      throw Object.assign(
        new TypeError(`Request option \`vendastaAuth\` must be false or an object such as { scopes: ['profile'] }, got ${options === null ? 'null' : typeof options}.`),
        { code: 'ERR_INVALID_ARG_TYPE' },
      );
    }
    if (previous === undefined && config.headers.has('Authorization')) {
      return skip(config, 'explicit-authorization');
    }
    const denied = hostPolicy.check(config.url, config.baseURL, instance.defaults.baseURL);
    if (denied !== null) return skip(config, denied);

    const key = keyFor(options?.scopes);
    const entry = source.peek(key) ?? (await waitForToken(source, key, config));
    config.headers.set('Authorization', `Bearer ${entry.accessToken}`);
    config.vendastaAuthState = new AuthState(key, entry, previous?.retried ?? false);
    return config;
  };
}

/**
 * Builds the response interceptors that retry a request once after a 401: `onFulfilled` for a 401
 * that the caller's `validateStatus` accepts, `onRejected` for the usual case.
 */
export function createResponseInterceptor(context: InterceptorContext) {
  const { instance, source, emit } = context;

  // Retry once, and only when: the answer is a 401 to a request that this plugin authorized,
  // the request was not already the retry, and its body can be sent again byte for byte.
  const retry = (config: InternalAxiosRequestConfig, state: AuthState) => {
    config.vendastaAuthState = new AuthState(state.key, state.entry, true);
    emit('request:retry', { method: methodOf(config), url: urlOf(config) });
    return instance.request(config);
  };

  return {
    onFulfilled: function retryAcceptedUnauthorized(response: AxiosResponse) {
      if (response.status !== 401) return response;
      const state = response.config.vendastaAuthState;
      if (!(state instanceof AuthState) || state.retried) return response;
      source.invalidate(state.key, state.entry, 'unauthorized');
      return isReplayable(response.config.data) ? retry(response.config, state) : response;
    },

    onRejected: async function retryUnauthorized(error: unknown) {
      if (!axios.isAxiosError(error) || error.config === undefined) throw error;
      const config = error.config;
      const state = config.vendastaAuthState;
      if (!(state instanceof AuthState)) throw error;

      if (error.response?.status !== 401 || state.retried) throw redact(error);
      source.invalidate(state.key, state.entry, 'unauthorized');
      if (!isReplayable(config.data)) {
        Object.defineProperty(error, 'vendastaAuthNotRetried', {
          value: 'body-not-replayable' satisfies NotRetriedReason,
          enumerable: true,
        });
        throw redact(error);
      }
      return retry(config, state);
    },
  };
}

async function waitForToken(source: TokenSource, key: string, config: InternalAxiosRequestConfig): Promise<CachedToken> {
  try {
    return await source.getToken(key, config.signal as AbortSignal | undefined);
  } catch (error) {
    const signal = config.signal as AbortSignal | undefined;
    if (signal?.aborted === true && error === signal.reason) {
      throw new axios.CanceledError(undefined, config);
    }
    throw error;
  }
}

/** Masks the token in an error that reaches the caller, and hides the raw request objects. */
function redact(error: AxiosError): AxiosError {
  const headers = error.config?.headers;
  if (headers instanceof AxiosHeaders && headers.has('Authorization')) headers.set('Authorization', REDACTED);
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

import { ServerClock } from './clock.js';
import { FailureCooldown } from './cooldown.js';
import type { ServiceAccount } from './credentials.js';
import { TokenRequestError, VendastaAuthError } from './errors.js';
import type { InvalidateReason, VendastaAuthEvents } from './events.js';
import { FetchObserver } from './fetch-observer.js';
import type { Log } from './logger.js';
import { SharedTokens } from './shared-tokens.js';
import type { TokenStore } from './stores/types.js';
import { nextRefreshAfterFailure, scheduleRefresh } from './token-schedule.js';
import {
  createTokenHttpClient,
  requestAccessToken,
  type AccessToken,
  type TokenEndpointSettings,
} from './token-endpoint.js';

export interface TokenSourceSettings {
  endpoint: TokenEndpointSettings;
  /** A token counts as expired this long before its real expiry. */
  expiryMarginMs: number;
  /** Window before the expiry margin in which a request starts a background refresh. */
  refreshAheadMs: number;
  /** Deadline of a whole fetch, retries included. */
  timeoutMs: number;
  /** Cooldown after a failed fetch, in milliseconds; see `FailureCooldown`. */
  cooldownMs: number;
  /** How long a process may hold a store lease while it fetches. */
  leaseMs: number;
  /** How long a process waits for another process's fetch to show up in the store. */
  leaseWaitMs: number;
  /**
   * Called once per fetch that the token endpoint rejected with invalid_client or invalid_grant.
   * Returns a replacement service account (re-read from its file) or undefined to keep the error.
   */
  reloadAccount?: () => ServiceAccount | undefined;
}

export type Emit = <Key extends keyof VendastaAuthEvents>(type: Key, payload: VendastaAuthEvents[Key]) => void;

/** A cached token. Its text stays in a private field so that logging the entry shows nothing. */
export class CachedToken {
  readonly #accessToken: string;
  readonly expiresAt: number;
  /** From this time on, requests wait for a new token. */
  readonly staleAt: number;
  /** From this time on, a request starts a background refresh. */
  refreshAt: number;
  /** The value as stored in the shared store, for compare-and-delete. */
  readonly storedValue: string;
  refreshFailures = 0;

  constructor(accessToken: string, expiresAt: number, staleAt: number, refreshAt: number, storedValue: string) {
    this.#accessToken = accessToken;
    this.expiresAt = expiresAt;
    this.staleAt = staleAt;
    this.refreshAt = refreshAt;
    this.storedValue = storedValue;
  }

  get accessToken(): string {
    return this.#accessToken;
  }
}

interface Flight {
  readonly promise: Promise<CachedToken>;
  readonly controller: AbortController;
  waiters: number;
  background: boolean;
  settled: boolean;
}

/**
 * Hands out access tokens per scope set: from the cache while they are fresh, else from one shared
 * fetch per scope set, with refresh ahead of expiry.
 */
export class TokenSource {
  #account: ServiceAccount;
  #settings: TokenSourceSettings;
  readonly #shared: SharedTokens;
  readonly #emit: Emit;
  readonly #log: Log;
  readonly #http = createTokenHttpClient();
  readonly #cache = new Map<string, CachedToken>();
  readonly #flights = new Map<string, Flight>();
  readonly #scopesByKey = new Map<string, readonly string[]>();
  readonly #clock = new ServerClock();
  readonly #cooldown: FailureCooldown;
  readonly #observer: FetchObserver;
  #closed = false;

  constructor(account: ServiceAccount, settings: TokenSourceSettings, store: TokenStore, emit: Emit, log: Log) {
    this.#account = account;
    this.#settings = settings;
    this.#shared = new SharedTokens(store, account.privateKey, settings, emit, log);
    this.#emit = emit;
    this.#log = log;
    this.#cooldown = new FailureCooldown({ cooldownMs: settings.cooldownMs, retry: settings.endpoint.retry });
    this.#observer = new FetchObserver(() => this.#account, emit, log);
  }

  /** Returns the cache key of a normalised scope set. */
  keyFor(scopes: readonly string[]): string {
    const key = `${this.#account.tokenUri}\n${this.#account.clientEmail}\n${this.#account.keyId}\n${scopes.join(' ')}`;
    if (!this.#scopesByKey.has(key)) this.#scopesByKey.set(key, scopes);
    return key;
  }

  /**
   * Returns a fresh cached token without waiting, starting a background refresh when the token is
   * inside its refresh-ahead window. Returns undefined when a request has to wait for a fetch.
   */
  peek(key: string): CachedToken | undefined {
    const entry = this.#cache.get(key);
    if (entry === undefined) return undefined;

    const now = Date.now();
    if (now >= entry.staleAt) return undefined;
    if (now >= entry.refreshAt && !this.#flights.has(key)) this.#refreshInBackground(key, entry);
    return entry;
  }

  /** Returns a fresh token for `key`, waiting for a fetch if needed. `signal` cancels only this wait. */
  async getToken(key: string, signal?: AbortSignal): Promise<CachedToken> {
    const cached = this.peek(key);
    if (cached !== undefined) return cached;
    this.#assertOpen();

    const flight = this.#flights.get(key) ?? this.#startFlightUnlessCooling(key);
    flight.waiters++;
    try {
      return await waitWithSignal(flight.promise, signal);
    } finally {
      flight.waiters--;
      if (flight.waiters === 0 && !flight.settled && !flight.background) {
        // Forget the flight first, so that a caller arriving in the same tick starts a new one.
        if (this.#flights.get(key) === flight) this.#flights.delete(key);
        flight.controller.abort(new VendastaAuthError('ERR_ABORTED', 'Every caller waiting for this token gave up.'));
      }
    }
  }

  /** The service account whose key signs assertions. */
  get account(): ServiceAccount {
    return this.#account;
  }

  /**
   * Signs with `account` from now on and drops every cached token. Fetches in flight finish with
   * the old key. Their tokens still go to the requests waiting for them, but not into the cache.
   */
  replaceAccount(account: ServiceAccount): void {
    this.#account = account;
    this.#shared.useKey(account.privateKey);
    this.#settings = { ...this.#settings, endpoint: { ...this.#settings.endpoint, tokenUri: account.tokenUri } };
    this.invalidateAll('reload');
    this.#flights.clear();
    this.#cooldown.clearAll();
  }

  /**
   * Drops the token of `key` if `entry` is still the cached one, so the next request fetches anew.
   * Returns whether it dropped anything.
   */
  invalidate(key: string, entry: CachedToken, reason: InvalidateReason): boolean {
    if (this.#cache.get(key) !== entry) return false;
    this.#cache.delete(key);
    this.#shared.delete(key, entry.storedValue);
    this.#emit('token:invalidate', { scopes: this.#scopes(key), reason });
    return true;
  }

  /** Drops every cached token. */
  invalidateAll(reason: InvalidateReason): void {
    for (const [key, entry] of [...this.#cache]) this.invalidate(key, entry, reason);
  }

  /** Aborts every fetch; their waiters get `ERR_DETACHED`. */
  close(): void {
    this.#closed = true;
    for (const flight of this.#flights.values()) {
      flight.controller.abort(new VendastaAuthError('ERR_DETACHED', 'The auth plugin was detached while a token request was in flight.'));
    }
    this.#flights.clear();
    this.#cache.clear();
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new VendastaAuthError('ERR_DETACHED', 'The auth plugin was detached: attach it again to make authorized requests.');
    }
  }

  #scopes(key: string): readonly string[] {
    return this.#scopesByKey.get(key) ?? [];
  }

  #refreshInBackground(key: string, entry: CachedToken): void {
    if (this.#closed) return;
    const flight = this.#startFlight(key, true);
    flight.promise.catch(() => {
      // The valid token keeps serving. Back off before the next attempt, within the time left.
      entry.refreshFailures++;
      entry.refreshAt = nextRefreshAfterFailure(entry.refreshFailures, Date.now(), entry.staleAt);
    });
  }

  /** Starts a fetch, or throws a copy of the last failure while `key` cools down after it. */
  #startFlightUnlessCooling(key: string): Flight {
    const cooling = this.#cooldown.check(key);
    if (cooling === undefined) return this.#startFlight(key, false);
    this.#observer.failingFast(this.#scopes(key), cooling.error, cooling.remainingMs);
    throw cooling.error;
  }

  #startFlight(key: string, background: boolean): Flight {
    const controller = new AbortController();
    const deadline = AbortSignal.timeout(this.#settings.timeoutMs);
    const signal = AbortSignal.any([controller.signal, deadline]);

    const flight: Flight = {
      promise: undefined as unknown as Promise<CachedToken>,
      controller,
      waiters: 0,
      background,
      settled: false,
    };
    const promise = this.#fetch(key, signal, background)
      .then(
        (entry) => {
          this.#cooldown.clear(key);
          return entry;
        },
        (error: unknown) => {
          const failure = deadline.aborted && !controller.signal.aborted ? this.#timeoutError(key, error) : error;
          this.#observer.failed(this.#scopes(key), failure, this.#cooldown.record(key, failure));
          throw failure;
        },
      )
      .finally(() => {
        flight.settled = true;
        if (this.#flights.get(key) === flight) this.#flights.delete(key);
      });
    // A background refresh may have no waiter at all: its failure is reported through events.
    promise.catch(() => {});
    (flight as { promise: Promise<CachedToken> }).promise = promise;
    this.#flights.set(key, flight);
    return flight;
  }

  async #fetch(key: string, signal: AbortSignal, background: boolean): Promise<CachedToken> {
    const scopes = this.#scopes(key);

    // A refresh must not adopt the very token it replaces, which the store still holds.
    const replacing = this.#cache.get(key)?.storedValue;
    const shared = await this.#shared.read(key, replacing);
    if (shared !== undefined) return this.#remember(key, shared);

    const leaseId = await this.#shared.acquireLease(key);
    if (leaseId === null) {
      const fromOther = await this.#shared.waitFor(key, signal, replacing);
      if (fromOther !== undefined) return this.#remember(key, fromOther);
    }
    if (typeof leaseId === 'string') {
      // Another process may have stored a token and released its lease between our read and our
      // lease, so look again before fetching.
      const justStored = await this.#shared.read(key, replacing);
      if (justStored !== undefined) {
        this.#shared.releaseLease(key, leaseId);
        return this.#remember(key, justStored);
      }
    }

    const started = performance.now();
    const account = this.#account;
    try {
      // The flight's deadline timer started a moment before this fetch.
      const deadlineAt = started + this.#settings.timeoutMs;
      const context = this.#observer.context(scopes, { signal, background, deadlineAt, clock: this.#clock });
      const { token, attempts, usedAccount } = await this.#requestWithReload(account, scopes, context);
      // After a reload the token belongs under the new key's cache key.
      const cacheKey = usedAccount === account ? key : this.keyFor(scopes);
      const storedValue = this.#shared.seal(cacheKey, token);
      const entry = this.#remember(cacheKey, { token, storedValue }, usedAccount);
      const durationMs = Math.round(performance.now() - started);
      this.#emit('token:success', { scopes, expiresAt: token.expiresAt, durationMs, attempts });
      this.#observer.fetched(scopes, { attempts, durationMs, expiresAt: token.expiresAt });
      this.#shared.write(cacheKey, entry.storedValue, entry.expiresAt);
      return entry;
    } catch (error) {
      throw signal.aborted && signal.reason instanceof VendastaAuthError ? signal.reason : error;
    } finally {
      if (typeof leaseId === 'string') this.#shared.releaseLease(key, leaseId);
    }
  }

  #remember(
    key: string,
    found: { token: AccessToken; storedValue: string },
    account: ServiceAccount = this.#account,
  ): CachedToken {
    const { token } = found;
    const { staleAt, refreshAt } = scheduleRefresh(token.expiresAt, Date.now(), this.#settings);
    const entry = new CachedToken(token.accessToken, token.expiresAt, staleAt, refreshAt, found.storedValue);
    // A token fetched with a key that reload() has since replaced serves its waiters only.
    if (!this.#closed && account === this.#account) this.#cache.set(key, entry);
    return entry;
  }

  /**
   * Requests a token and, when the endpoint rejects the credentials (invalid_client or
   * invalid_grant), re-reads them once through `reloadAccount` and tries again with the new key.
   */
  async #requestWithReload(account: ServiceAccount, scopes: readonly string[], ...rest: RequestTail) {
    try {
      const result = await requestAccessToken(this.#http, account, scopes, this.#settings.endpoint, ...rest);
      return { ...result, usedAccount: account };
    } catch (error) {
      if (!isCredentialsRejection(error) || account !== this.#account) throw error;
      const replacement = this.#settings.reloadAccount?.();
      if (replacement === undefined) throw error;

      this.#log('warn', { keyId: replacement.keyId, source: replacement.source }, 'The token endpoint rejected the credentials. Re-read them from their file, and retrying with the new key.');
      this.replaceAccount(replacement);
      const result = await requestAccessToken(this.#http, replacement, scopes, this.#settings.endpoint, ...rest);
      return { ...result, usedAccount: replacement };
    }
  }

  #timeoutError(key: string, cause: unknown): TokenRequestError {
    const attempts = cause instanceof TokenRequestError ? cause.attempts : undefined;
    // The deadline cancels the attempt in flight, whose own error then reads only "aborted".
    const cancelled = cause instanceof TokenRequestError && cause.code === 'ERR_ABORTED';
    const lastError = cancelled
      ? new Error(`Attempt ${attempts ?? 1} was still waiting for a response from ${this.#account.tokenUri} when the deadline passed.`)
      : cause;
    return new TokenRequestError(
      'ERR_TOKEN_TIMEOUT',
      `Token request to ${this.#account.tokenUri} timed out after ${this.#settings.timeoutMs} ms, retries included. Check the token endpoint, or raise \`timeoutMs\`.`,
      { cause: lastError, attempts },
    );
  }
}

type RequestTail = Parameters<typeof requestAccessToken> extends [unknown, unknown, unknown, unknown, ...infer Tail] ? Tail : never;

function isCredentialsRejection(error: unknown): boolean {
  return error instanceof TokenRequestError && (error.code === 'ERR_OAUTH_INVALID_CLIENT' || error.code === 'ERR_OAUTH_INVALID_GRANT');
}

/** Waits for `promise`, but rejects at once with the signal's reason when `signal` aborts. */
function waitWithSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

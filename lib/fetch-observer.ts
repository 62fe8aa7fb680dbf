import { describeOffset, LARGE_CLOCK_SKEW_MS, type ServerClock } from './clock.js';
import type { ServiceAccount } from './credentials.js';
import type { TokenRequestError, VendastaAuthError } from './errors.js';
import type { Log } from './logger.js';
import type { FetchContext } from './token-endpoint.js';
import type { Emit } from './token-source.js';

/** The parts of a `FetchContext` that the token source owns. */
export interface FetchBasics {
  readonly signal: AbortSignal;
  readonly background: boolean;
  readonly deadlineAt: number;
  readonly clock: ServerClock;
}

/**
 * Reports token fetches through events and the logger. Log lines carry the scopes, client email,
 * key id and key fingerprint, and never a header, a body, the assertion or a token.
 */
export class FetchObserver {
  /** Returns the account in use, which `reload()` may replace. */
  readonly #account: () => ServiceAccount;
  readonly #emit: Emit;
  readonly #log: Log;

  constructor(account: () => ServiceAccount, emit: Emit, log: Log) {
    this.#account = account;
    this.#emit = emit;
    this.#log = log;
  }

  /** Builds the context of one fetch, whose callbacks emit events and write log lines. */
  context(scopes: readonly string[], basics: FetchBasics): FetchContext {
    const ids = this.#ids(scopes);
    return {
      ...basics,
      onAttempt: (attempt) => {
        this.#emit('token:request', { scopes, attempt });
        this.#log('debug', { ...ids, attempt }, 'Requesting an access token.');
      },
      onFailedAttempt: (error, attempt, willRetry, delayMs) => {
        // A failed background refresh is retried later, while the cached token keeps serving.
        this.#emit('token:error', { scopes, error, attempt, willRetry: willRetry || basics.background });
        if (!willRetry) return;
        const { code, status, oauthError } = error;
        this.#log('warn', { ...ids, attempt, code, status, oauthError, delayMs }, 'Token request failed; retrying.');
      },
      onClockOffset: (offsetMs) => this.#reportClockOffset(offsetMs),
    };
  }

  fetched(scopes: readonly string[], details: { attempts: number; durationMs: number; expiresAt: number }): void {
    this.#log('info', { ...this.#ids(scopes), ...details }, 'Fetched an access token.');
  }

  failed(scopes: readonly string[], failure: unknown, cooldownMs: number): void {
    const { code, message, status, attempts } = failure as TokenRequestError;
    const context = { ...this.#ids(scopes), code, status, attempts, cooldownMs, error: message };
    // detach() ends fetches on purpose, so that is not an error.
    this.#log(code === 'ERR_DETACHED' ? 'debug' : 'error', context, 'Token fetch failed.');
  }

  failingFast(scopes: readonly string[], error: VendastaAuthError, remainingMs: number): void {
    const context = { ...this.#ids(scopes), code: error.code, remainingMs };
    this.#log('warn', context, 'Token endpoint failed recently; failing fast without a request.');
  }

  #reportClockOffset(offsetMs: number): void {
    const context = { tokenUri: this.#account().tokenUri, offsetMs };
    if (Math.abs(offsetMs) < LARGE_CLOCK_SKEW_MS) {
      this.#log('info', context, `Clock offset to the token endpoint is now ${describeOffset(offsetMs)}.`);
      return;
    }
    const message = `Clock skew of ${describeOffset(offsetMs)}: assertions now use the token endpoint's clock. Fix this host's clock.`;
    this.#log('warn', context, message);
    this.#emit('clock:skew', { offsetMs });
  }

  #ids(scopes: readonly string[]) {
    const { clientEmail, keyId, keyFingerprint } = this.#account();
    return { scopes, clientEmail, keyId, keyFingerprint };
  }
}

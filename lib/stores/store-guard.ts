import { VendastaAuthError } from '../errors.js';
import type { VendastaAuthEvents } from '../events.js';
import type { Log } from '../logger.js';
import type { TokenStore } from './types.js';

/** A `TokenStore` method, as named in `store:error` events. */
export type StoreOperation = 'get' | 'set' | 'delete' | 'acquireLease' | 'releaseLease';

/** A store call that has not settled after this many milliseconds counts as failed. */
export const STORE_CALL_TIMEOUT_MS = 1000;

/** Each operation reports at most one failure per this many milliseconds and counts the rest. */
export const STORE_ERROR_REPORT_INTERVAL_MS = 30_000;

type EmitStoreError = (type: 'store:error', payload: VendastaAuthEvents['store:error']) => void;

/**
 * Wraps `store` so that each call settles within `timeoutMs` and each failure is reported through
 * a `store:error` event and a logger warning, rate-limited per operation. Failures still reject,
 * so the token source can fall back to its own cache and fetch.
 */
export function guardStore(
  store: TokenStore,
  emit: EmitStoreError,
  log: Log,
  timeoutMs = STORE_CALL_TIMEOUT_MS,
): TokenStore {
  const reporter = new StoreErrorReporter(emit, log);
  let ready: Promise<void> | undefined;
  const whenReady = () => (ready ??= waitUntilReady(store));
  const call = <T>(operation: StoreOperation, run: () => Promise<T>): Promise<T> =>
    whenReady()
      .then(() => withTimeout(operation, run, timeoutMs))
      .catch((error: unknown) => {
        throw reporter.report(operation, error);
      });

  const guarded: TokenStore = {
    get: (key) => call('get', () => store.get(key)),
    set: (key, value, ttlMs) => call('set', () => store.set(key, value, ttlMs)),
    delete: (key, expectedValue) => call('delete', () => store.delete(key, expectedValue)),
  };
  // Only stores that coordinate fetches have leases, and the token source checks for the methods.
  if (store.acquireLease !== undefined) {
    guarded.acquireLease = (key, ttlMs) => call('acquireLease', () => store.acquireLease!(key, ttlMs));
  }
  if (store.releaseLease !== undefined) {
    guarded.releaseLease = (key, leaseId) => call('releaseLease', () => store.releaseLease!(key, leaseId));
  }
  return guarded;
}

/** Reports store failures, at most one per operation per interval, with a count of the rest. */
export class StoreErrorReporter {
  readonly #emit: EmitStoreError;
  readonly #log: Log;
  readonly #intervalMs: number;
  readonly #lastReports = new Map<StoreOperation, { at: number; suppressed: number }>();

  constructor(emit: EmitStoreError, log: Log, intervalMs = STORE_ERROR_REPORT_INTERVAL_MS) {
    this.#emit = emit;
    this.#log = log;
    this.#intervalMs = intervalMs;
  }

  /** Reports `failure` unless this operation was reported within the interval, and returns it as an Error. */
  report(operation: StoreOperation, failure: unknown): Error {
    const error = failure instanceof Error ? failure : new Error(String(failure));
    const now = Date.now();
    const last = this.#lastReports.get(operation);
    if (last !== undefined && now - last.at < this.#intervalMs) {
      last.suppressed++;
      return error;
    }

    const suppressed = last?.suppressed ?? 0;
    this.#lastReports.set(operation, { at: now, suppressed: 0 });
    this.#emit('store:error', { operation, error, suppressed });
    this.#log(
      'warn',
      { operation, error: error.message, code: (error as { code?: unknown }).code, suppressed },
      'Token store call failed, so the plugin goes on with its local cache.',
    );
    return error;
  }
}

/** Maximum wait for a store's `ready()`, so a store that never becomes ready cannot hang requests. */
export const STORE_READY_TIMEOUT_MS = 5000;

function waitUntilReady(store: TokenStore): Promise<void> {
  if (store.ready === undefined) return Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, STORE_READY_TIMEOUT_MS);
    timer.unref();
  });
  const settled = Promise.resolve()
    .then(() => store.ready?.())
    .catch(() => {});
  return Promise.race([settled, limit]).finally(() => clearTimeout(timer));
}

function withTimeout<T>(operation: StoreOperation, run: () => Promise<T>, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new VendastaAuthError(
          'ERR_STORE_TIMEOUT',
          `Token store call \`${operation}\` timed out after ${timeoutMs} ms. The plugin goes on without the store.`,
        ),
      );
    }, timeoutMs);
    // A hung store must not keep the process alive.
    timer.unref();

    Promise.resolve()
      .then(run)
      .then(resolve, reject)
      .finally(() => clearTimeout(timer));
  });
}

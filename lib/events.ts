import mittModule, { type Emitter } from 'mitt';

import type { VendastaAuthError } from './errors.js';
import type { StoreOperation } from './stores/store-guard.js';

/** Reason a request went out without a token. */
export type SkipReason =
  | 'opt-out'
  | 'host-not-allowed'
  | 'insecure-protocol'
  | 'explicit-authorization';

/**
 * Reason a cached token was dropped: a 401 response, `auth.invalidate()`, or new credentials from
 * `auth.reload()` or from re-reading the credentials file.
 */
export type InvalidateReason = 'unauthorized' | 'manual' | 'reload';

/**
 * The typed event map of `auth.events`. No payload contains a private key, an assertion or an
 * access token.
 */
export type VendastaAuthEvents = {
  'token:request': { readonly scopes: readonly string[]; readonly attempt: number };
  'token:success': {
    readonly scopes: readonly string[];
    /** Expiry of the new token, in milliseconds since the epoch. */
    readonly expiresAt: number;
    readonly durationMs: number;
    readonly attempts: number;
  };
  'token:error': {
    readonly scopes: readonly string[];
    readonly error: VendastaAuthError;
    readonly attempt: number;
    readonly willRetry: boolean;
  };
  'token:invalidate': { readonly scopes: readonly string[]; readonly reason: InvalidateReason };
  'request:retry': { readonly method: string; readonly url: string };
  'request:skip': { readonly method: string; readonly url: string; readonly reason: SkipReason };
  /**
   * The token endpoint's clock differs from this host's by 10 s or more, measured from its `Date`
   * header. Assertions use the corrected time from now on.
   */
  'clock:skew': {
    /** Milliseconds to add to this host's clock to get the token endpoint's. */
    readonly offsetMs: number;
  };
  /**
   * A shared token store failed or timed out. The plugin goes on with its own cache. Reported at
   * most once per operation per 30 s; `suppressed` counts the failures left out since the last one.
   */
  'store:error': { readonly operation: StoreOperation; readonly error: Error; readonly suppressed: number };
};

export type VendastaAuthEmitter = Emitter<VendastaAuthEvents>;

// mitt ships CommonJS types. Under `nodenext`, TypeScript types its default import as the module
// namespace, while at run time Node returns the function itself.
type MittFactory = typeof mittModule.default;
const createMitt: MittFactory =
  (mittModule as unknown as { default?: MittFactory }).default ??
  (mittModule as unknown as MittFactory);

export function createEmitter(): VendastaAuthEmitter {
  return createMitt<VendastaAuthEvents>();
}

/**
 * Calls every listener of `type`, then the wildcard listeners, like mitt's `emit`, but a listener
 * that throws, or returns a promise that rejects, cannot break the caller: its error goes to
 * `onListenerError`.
 */
export function emitSafely<Key extends keyof VendastaAuthEvents>(
  emitter: VendastaAuthEmitter,
  type: Key,
  payload: VendastaAuthEvents[Key],
  onListenerError: (error: unknown, type: Key) => void,
): void {
  const handlers = emitter.all.get(type);
  const wildcards = emitter.all.get('*');
  if (handlers === undefined && wildcards === undefined) return;

  const report = (error: unknown) => onListenerError(error, type);
  for (const handler of [...(handlers ?? [])]) {
    try {
      catchRejection((handler as (event: VendastaAuthEvents[Key]) => unknown)(payload), report);
    } catch (error) {
      report(error);
    }
  }
  for (const handler of [...(wildcards ?? [])]) {
    try {
      catchRejection((handler as (name: Key, event: VendastaAuthEvents[Key]) => unknown)(type, payload), report);
    } catch (error) {
      report(error);
    }
  }
}

/** Keeps an async listener's rejection from becoming an unhandled rejection. */
function catchRejection(result: unknown, report: (error: unknown) => void): void {
  if (typeof (result as { then?: unknown } | undefined)?.then === 'function') {
    (result as PromiseLike<unknown>).then(undefined, report);
  }
}

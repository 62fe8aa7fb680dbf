import { createHash, type KeyObject } from 'node:crypto';

import type { Emit } from './token-source.js';
import type { Log } from './logger.js';
import { TokenSealer } from './seal.js';
import { guardStore } from './stores/store-guard.js';
import type { TokenStore } from './stores/types.js';
import type { AccessToken } from './token-endpoint.js';

/** A token read back from the store, with the exact stored value for compare-and-delete. */
export interface StoredToken {
  readonly token: AccessToken;
  readonly storedValue: string;
}

export interface SharedTokenSettings {
  /** Tokens that expire within this many milliseconds are not taken from the store. */
  readonly expiryMarginMs: number;
  /** Lifetime of the store lease that a process holds while it fetches, in milliseconds. */
  readonly leaseMs: number;
  /** Maximum wait for another process's token to appear in the store, in milliseconds. */
  readonly leaseWaitMs: number;
}

/**
 * The token source's view of a `TokenStore`: sealed values under hashed keys, leases, and a
 * bounded wait for another process's fetch. Every store failure counts as a miss, because the
 * token source can always fetch on its own.
 */
export class SharedTokens {
  readonly #store: TokenStore;
  readonly #settings: SharedTokenSettings;
  #sealer: TokenSealer;

  constructor(store: TokenStore, privateKey: KeyObject, settings: SharedTokenSettings, emit: Emit, log: Log) {
    // Bounded in time and reported, so a down or slow store only costs a fetch of our own.
    this.#store = guardStore(store, emit, log);
    this.#settings = settings;
    this.#sealer = new TokenSealer(privateKey);
  }

  /** Seals with a key derived from `privateKey` from now on, after a credentials reload. */
  useKey(privateKey: KeyObject): void {
    this.#sealer = new TokenSealer(privateKey);
  }

  /** Returns the value to store for `token` under the cache key `key`. */
  seal(key: string, token: AccessToken): string {
    return this.#sealer.seal(key, serialize(token));
  }

  /** Returns a token from the store that is still fresh and is not the value `replacing`. */
  async read(key: string, replacing?: string): Promise<StoredToken | undefined> {
    let value: string | undefined;
    try {
      value = await this.#store.get(storeKey(key));
    } catch {
      return undefined;
    }
    if (value === undefined || value === replacing) return undefined;

    const plaintext = this.#sealer.open(key, value);
    const token = plaintext === undefined ? undefined : deserialize(plaintext);
    if (token === undefined || token.expiresAt - Date.now() <= this.#settings.expiryMarginMs) return undefined;
    return { token, storedValue: value };
  }

  /**
   * Takes the fetch lease of `key`. Returns its id, null when another process holds it, or
   * undefined when the store has no leases or failed.
   */
  async acquireLease(key: string): Promise<string | null | undefined> {
    if (this.#store.acquireLease === undefined) return undefined;
    try {
      return (await this.#store.acquireLease(storeKey(key), this.#settings.leaseMs)) ?? null;
    } catch {
      return undefined;
    }
  }

  releaseLease(key: string, leaseId: string): void {
    this.#store.releaseLease?.(storeKey(key), leaseId).catch(() => {});
  }

  /** Polls the store for another process's token until it appears, `leaseWaitMs` passes or `signal` aborts. */
  async waitFor(key: string, signal: AbortSignal, replacing: string | undefined): Promise<StoredToken | undefined> {
    const until = Date.now() + this.#settings.leaseWaitMs;
    let pause = 25;
    while (Date.now() < until && !signal.aborted) {
      await sleep(Math.min(pause, until - Date.now()));
      const found = await this.read(key, replacing);
      if (found !== undefined) return found;
      pause = Math.min(pause * 2, 250);
    }
    return undefined;
  }

  /** Stores `storedValue` until the token expires. Failures are reported by the store guard. */
  write(key: string, storedValue: string, expiresAt: number): void {
    const ttl = expiresAt - Date.now();
    if (ttl <= 0) return;
    this.#store.set(storeKey(key), storedValue, ttl).catch(() => {});
  }

  /** Deletes the stored token of `key` only if it is still `storedValue`. */
  delete(key: string, storedValue: string): void {
    this.#store.delete(storeKey(key), storedValue).catch(() => {});
  }
}

/** Hashes the cache key, so store keys have a fixed length and do not show the account. */
function storeKey(key: string): string {
  return `vendasta-axios-auth:v1:${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
}

function serialize(token: AccessToken): string {
  return JSON.stringify({ t: token.accessToken, e: token.expiresAt, l: token.lifetimeSeconds });
}

function deserialize(text: string): AccessToken | undefined {
  try {
    const value = JSON.parse(text) as { t?: unknown; e?: unknown; l?: unknown };
    if (typeof value.t !== 'string' || typeof value.e !== 'number' || typeof value.l !== 'number') return undefined;
    return { accessToken: value.t, expiresAt: value.e, lifetimeSeconds: value.l };
  } catch {
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

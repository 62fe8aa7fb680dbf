/**
 * A place where processes share access tokens, such as Redis.
 *
 * Values are opaque strings that the token source has already encrypted, so a store never receives a
 * usable token. Every method may reject, and the token source then carries on with its own cache.
 */
export interface TokenStore {
  /** Returns the value stored under `key`, or undefined. */
  get(key: string): Promise<string | undefined>;

  /** Stores `value` under `key` until `ttlMs` milliseconds have passed. */
  set(key: string, value: string, ttlMs: number): Promise<void>;

  /** Deletes `key` only if it still contains `expectedValue`, so a late 401 cannot evict a newer token. */
  delete(key: string, expectedValue: string): Promise<void>;

  /**
   * Takes a lease on `key` for `ttlMs` milliseconds and returns its id, or undefined if another
   * holder has it. Stores shared by several processes implement this so that only one of them
   * requests a token at a time. Without it, each process fetches on its own.
   */
  acquireLease?(key: string, ttlMs: number): Promise<string | undefined>;

  /** Releases a lease, but only if `leaseId` still holds it. */
  releaseLease?(key: string, leaseId: string): Promise<void>;

  /**
   * Resolves when the store can take calls, for a store that connects in the background. Calls
   * are timed only from then on, so a slow first connection is not reported as a failure. It
   * must resolve within a few seconds, also when the connection fails.
   */
  ready?(): Promise<void>;

  /** Releases the store's resources. The token source never calls it, because the caller owns the store. */
  close?(): Promise<void>;
}

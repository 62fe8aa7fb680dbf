import type { TokenStore } from './types.js';

/**
 * A token store in this process's memory: the default. Pass one instance to several
 * `attachVendastaAuth` calls so that their axios instances share tokens.
 */
export class MemoryTokenStore implements TokenStore {
  readonly #entries = new Map<string, { value: string; expiresAt: number }>();

  async get(key: string): Promise<string | undefined> {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.#entries.set(key, { value, expiresAt: Date.now() + ttlMs });
  }

  async delete(key: string, expectedValue: string): Promise<void> {
    if (this.#entries.get(key)?.value === expectedValue) this.#entries.delete(key);
  }

  /** Number of entries, expired ones included until they are read. */
  get size(): number {
    return this.#entries.size;
  }
}

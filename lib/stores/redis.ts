import { randomBytes } from 'node:crypto';

import type { RedisClientOptions } from 'redis';

import { VendastaAuthError } from '../errors.js';
import { invalidOption, MAX_TIMER_MS, numberOption } from '../options.js';
import type { TokenStore } from './types.js';

/**
 * The part of a Redis client that the store uses. A node-redis client (`createClient()` of the
 * `redis` package, v4 to v6) fits as it is, and other clients fit through a small adapter.
 */
export interface RedisCommandClient {
  /** Sends one command, such as `['GET', key]`, and returns Redis's reply. */
  sendCommand(args: string[]): Promise<unknown>;
  /**
   * Whether the connection is up. While it is false, the store fails at once instead of letting
   * the client queue commands until it reconnects.
   */
  readonly isReady?: boolean;
}

/** Options of {@link RedisTokenStore}. */
export interface RedisTokenStoreOptions {
  /**
   * Prefix of every key the store writes, for Redis databases shared with other applications.
   * @default ''
   */
  keyPrefix?: string;
  /**
   * A command without a reply after this many milliseconds counts as failed, and the plugin goes
   * on with its own cache.
   * @default 500
   */
  commandTimeoutMs?: number;
}

/**
 * Commands sent while the store's own client makes its first connection wait for it this long,
 * so that a worker starting together with many others still finds the shared token.
 */
const FIRST_CONNECT_WAIT_MS = 2000;

// Deletes KEYS[1] only while it still contains ARGV[1], atomically, so a late 401 or a late lease
// release never deletes what another process wrote since.
const COMPARE_AND_DELETE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * A token store in Redis, shared by every process that points at the same database: one process
 * fetches a token while the others wait for it. Values arrive already encrypted, and each expires
 * with its token.
 *
 * Pass a node-redis client, or the options of `createClient()` to let the store create, connect
 * and close its own client. A client you pass stays yours: attach an `'error'` listener to it, as
 * node-redis requires, and close it yourself.
 */
export class RedisTokenStore implements TokenStore {
  readonly #client: Promise<RedisCommandClient>;
  readonly #ownsClient: boolean;
  readonly #keyPrefix: string;
  readonly #commandTimeoutMs: number;

  constructor(client: RedisCommandClient | RedisClientOptions = {}, options: RedisTokenStoreOptions = {}) {
    if (typeof client !== 'object' || client === null) {
      throw invalidOption('client', 'must be a node-redis client or the options of createClient().', 'ERR_INVALID_ARG_TYPE');
    }
    this.#keyPrefix = readKeyPrefix(options.keyPrefix);
    this.#commandTimeoutMs = numberOption({ ...options }, 'commandTimeoutMs', 500, { min: 1, max: MAX_TIMER_MS });

    this.#ownsClient = typeof (client as Partial<RedisCommandClient>).sendCommand !== 'function';
    this.#client = this.#ownsClient
      ? createOwnClient(client as RedisClientOptions)
      : Promise.resolve(client as RedisCommandClient);
    // Each command reports a failed import, so this catch only prevents an unhandled rejection.
    this.#client.catch(() => {});
  }

  /** Resolves once the store's own client has connected, or has waited 2 s for it. */
  async ready(): Promise<void> {
    await this.#client.catch(() => {});
  }

  async get(key: string): Promise<string | undefined> {
    const reply = await this.#send(['GET', this.#keyPrefix + key]);
    return typeof reply === 'string' ? reply : undefined;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.#send(['SET', this.#keyPrefix + key, value, 'PX', String(toWholeMs(ttlMs))]);
  }

  async delete(key: string, expectedValue: string): Promise<void> {
    await this.#send(['EVAL', COMPARE_AND_DELETE, '1', this.#keyPrefix + key, expectedValue]);
  }

  async acquireLease(key: string, ttlMs: number): Promise<string | undefined> {
    const leaseKey = this.#leaseKey(key);
    const leaseId = randomBytes(16).toString('base64url');
    const command = ['SET', leaseKey, leaseId, 'PX', String(toWholeMs(ttlMs)), 'NX'];
    const reply = await this.#send(command, (lateReply) => {
      // The caller has given up on this lease and fetches on its own, so free it for the others.
      if (lateReply === 'OK') this.releaseLease(key, leaseId).catch(() => {});
    });
    return reply === 'OK' ? leaseId : undefined;
  }

  async releaseLease(key: string, leaseId: string): Promise<void> {
    await this.#send(['EVAL', COMPARE_AND_DELETE, '1', this.#leaseKey(key), leaseId]);
  }

  /** Closes the client if the store created it. A client passed in stays open. */
  async close(): Promise<void> {
    if (!this.#ownsClient) return;
    const client = (await this.#client.catch(() => undefined)) as ClosableClient | undefined;
    if (client?.destroy !== undefined) client.destroy();
    else await client?.disconnect?.();
  }

  #leaseKey(key: string): string {
    return `${this.#keyPrefix}${key}:lease`;
  }

  /** Sends `args`, failing fast while disconnected and after `commandTimeoutMs` without a reply. */
  async #send(args: string[], onLateReply?: (reply: unknown) => void): Promise<unknown> {
    const client = await this.#client;
    if (client.isReady === false) {
      throw new VendastaAuthError(
        'ERR_STORE_UNAVAILABLE',
        'The Redis client is not connected, so the store is skipped until the client reconnects.',
      );
    }

    const reply = client.sendCommand(args);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reply.then(onLateReply, () => {});
        reject(
          new VendastaAuthError(
            'ERR_STORE_TIMEOUT',
            `Redis command ${args[0]} timed out after ${this.#commandTimeoutMs} ms. Check the Redis server, or raise \`commandTimeoutMs\`.`,
          ),
        );
      }, this.#commandTimeoutMs);
    });
    try {
      return await Promise.race([reply, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

type ClosableClient = RedisCommandClient & { destroy?(): void; disconnect?(): Promise<void> };

/**
 * Creates and connects a node-redis client. Resolves once connected, or after
 * `FIRST_CONNECT_WAIT_MS`, so that a worker starting while Redis is down does not wait for it.
 */
async function createOwnClient(options: RedisClientOptions): Promise<RedisCommandClient> {
  let createClient: typeof import('redis').createClient;
  try {
    ({ createClient } = await import('redis'));
  } catch (cause) {
    throw new VendastaAuthError(
      'ERR_STORE_UNAVAILABLE',
      'RedisTokenStore needs the `redis` package to create its client: run `npm install redis`, or pass a connected client.',
      { cause },
    );
  }

  const client = createClient(options);
  // Without a listener node-redis would throw connection errors; failed commands report them.
  client.on('error', () => {});
  // connect() keeps retrying while Redis is down, and commands fail fast until it is ready.
  const connected = client.connect().catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    connected,
    new Promise((resolve) => {
      timer = setTimeout(resolve, FIRST_CONNECT_WAIT_MS);
      // Waiting for Redis must not keep a process alive that has nothing else to do.
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
  return client as unknown as RedisCommandClient;
}

function readKeyPrefix(keyPrefix: unknown): string {
  if (keyPrefix === undefined) return '';
  if (typeof keyPrefix !== 'string') {
    throw invalidOption('keyPrefix', `must be a string such as 'myapp:', got ${typeof keyPrefix}.`, 'ERR_INVALID_ARG_TYPE');
  }
  return keyPrefix;
}

/** Redis takes whole milliseconds of at least 1 for PX. */
function toWholeMs(ms: number): number {
  return Math.max(1, Math.ceil(ms));
}

import { Redis } from 'ioredis';
import { createClient } from 'redis';

import { VendastaAuthError } from '../../lib/errors.js';
import { RedisTokenStore, type RedisCommandClient } from '../../lib/redis.js';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server.js';

let server: TestRedisServer;
let inspector: ReturnType<typeof createClient>;
const cleanups: Array<() => Promise<unknown> | unknown> = [];

beforeAll(async () => {
  server = await startRedisServer();
  inspector = createClient({ url: server.url });
  inspector.on('error', () => {});
  await inspector.connect();
});

afterAll(async () => {
  inspector.destroy();
  await server.stop();
});

beforeEach(async () => {
  await inspector.flushAll();
});

afterEach(async () => {
  server.resume();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Wraps an ioredis client as the README shows. */
function ioredisClient(redis: Redis): RedisCommandClient {
  return {
    sendCommand: ([command, ...args]) => redis.call(command!, args),
    get isReady() {
      return redis.status === 'ready';
    },
  };
}

const clients: Array<[string, () => Promise<RedisTokenStore>]> = [
  [
    'node-redis client',
    async () => {
      const client = createClient({ url: server.url });
      client.on('error', () => {});
      await client.connect();
      cleanups.push(() => client.destroy());
      return new RedisTokenStore(client);
    },
  ],
  [
    'ioredis adapter',
    async () => {
      const redis = new Redis(server.port, '127.0.0.1', { lazyConnect: true });
      redis.on('error', () => {});
      await redis.connect();
      cleanups.push(() => redis.disconnect());
      return new RedisTokenStore(ioredisClient(redis));
    },
  ],
  [
    'own client from options',
    async () => {
      const store = new RedisTokenStore({ url: server.url });
      cleanups.push(() => store.close());
      await waitUntil(async () => (await store.get('probe').then(() => true, () => false)));
      return store;
    },
  ],
];

describe.each(clients)('RedisTokenStore with %s', (_name, makeStore) => {
  test('set, get and expiry with the token', async () => {
    const store = await makeStore();
    await store.set('k', 'sealed-value', 60_000);
    expect(await store.get('k')).toBe('sealed-value');
    const ttl = await inspector.pTTL('k');
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    expect(await store.get('missing')).toBeUndefined();
  });

  test('delete compares the value', async () => {
    const store = await makeStore();
    await store.set('k', 'new', 60_000);
    await store.delete('k', 'old');
    expect(await store.get('k')).toBe('new');
    await store.delete('k', 'new');
    expect(await store.get('k')).toBeUndefined();
  });

  test('lease is exclusive until released by its holder', async () => {
    const store = await makeStore();
    const first = await store.acquireLease('k', 60_000);
    expect(typeof first).toBe('string');
    expect(await store.acquireLease('k', 60_000)).toBeUndefined();

    await store.releaseLease('k', 'someone-else');
    expect(await store.acquireLease('k', 60_000)).toBeUndefined();
    await store.releaseLease('k', first!);
    const second = await store.acquireLease('k', 60_000);
    expect(typeof second).toBe('string');
    expect(second).not.toBe(first);
  });

  test('lease expires after its ttl', async () => {
    const store = await makeStore();
    expect(await store.acquireLease('k', 50)).toBeDefined();
    await waitUntil(async () => (await store.acquireLease('k', 60_000)) !== undefined);
    expect(await inspector.exists('k:lease')).toBe(1);
  });
});

describe('RedisTokenStore', () => {
  test('keyPrefix prefixes values and leases', async () => {
    const store = new RedisTokenStore({ url: server.url }, { keyPrefix: 'app1:' });
    cleanups.push(() => store.close());
    await waitUntil(() => store.get('probe').then(() => true, () => false));
    await store.set('k', 'v', 60_000);
    await store.acquireLease('k', 60_000);
    expect((await inspector.keys('*')).sort()).toEqual(['app1:k', 'app1:k:lease']);
  });

  test('fails fast while disconnected', async () => {
    const store = new RedisTokenStore({ url: 'redis://127.0.0.1:1' });
    cleanups.push(() => store.close());
    const failure = await store.get('k').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(VendastaAuthError);
    expect((failure as VendastaAuthError).code).toBe('ERR_STORE_UNAVAILABLE');
    expect((failure as Error).message).toMatch(/not connected/);
  });

  test('times out on a frozen server', async () => {
    const store = new RedisTokenStore({ url: server.url }, { commandTimeoutMs: 200 });
    cleanups.push(() => store.close());
    await waitUntil(() => store.get('probe').then(() => true, () => false));

    server.pause();
    const failure = await store.get('k').catch((error: unknown) => error);
    server.resume();
    expect(failure).toBeInstanceOf(VendastaAuthError);
    expect((failure as VendastaAuthError).code).toBe('ERR_STORE_TIMEOUT');
    expect((failure as Error).message).toMatch(/timed out after 200 ms/);
  });

  test('releases a lease whose reply came too late', async () => {
    const store = new RedisTokenStore({ url: server.url }, { commandTimeoutMs: 200 });
    cleanups.push(() => store.close());
    await waitUntil(() => store.get('probe').then(() => true, () => false));

    server.pause();
    const failure = await store.acquireLease('k', 60_000).catch((error: unknown) => error);
    expect((failure as VendastaAuthError).code).toBe('ERR_STORE_TIMEOUT');
    server.resume();
    // The SET NX still runs once the server wakes up, and the store then deletes the orphan lease.
    await waitUntil(async () => (await inspector.exists('k:lease')) === 0);
    expect(await store.acquireLease('k', 60_000)).toBeDefined();
  });

  test('rejects invalid options', () => {
    const make = (options: object) => () => new RedisTokenStore({ url: server.url }, options);
    expect(make({ keyPrefix: 7 })).toThrow(TypeError);
    expect(make({ keyPrefix: 7 })).toThrow(/`keyPrefix` must be a string/);
    expect(make({ commandTimeoutMs: 0 })).toThrow(/`commandTimeoutMs` must be between 1 and 2147483647, got 0/);
    expect(() => new RedisTokenStore(null as never)).toThrow(/`client` must be a node-redis client/);
    expect(codeOf(make({ commandTimeoutMs: 'fast' }))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(make({ commandTimeoutMs: -5 }))).toBe('ERR_INVALID_ARG_VALUE');
    expect(codeOf(make({ keyPrefix: null }))).toBe('ERR_INVALID_ARG_TYPE');
  });
});

function codeOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return (error as { code?: unknown }).code;
  }
  return undefined;
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Condition not met within ${timeoutMs} ms.`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

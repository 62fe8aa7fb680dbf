import { generateKeyPairSync } from 'node:crypto';

import axios, { type AxiosInstance } from 'axios';
import { createClient } from 'redis';

import { attachVendastaAuth, loadServiceAccount, type VendastaAuth, type VendastaAuthEvents } from '../../lib/index.js';
import { RedisTokenStore } from '../../lib/redis.js';
import { TokenSealer } from '../../lib/seal.js';
import { startTokenServer, type LocalTokenServer } from '../../lib/testing/index.js';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server.js';

let tokenServer: LocalTokenServer;
let credentialsPath: string;
let redisServer: TestRedisServer;
let inspector: ReturnType<typeof createClient>;
const cleanups: Array<() => unknown> = [];

beforeAll(async () => {
  tokenServer = await startTokenServer();
  credentialsPath = (await tokenServer.createCredentials({ alg: 'RS256' })).path;
  redisServer = await startRedisServer();
  inspector = createClient({ url: redisServer.url, socket: { reconnectStrategy: 100 } });
  inspector.on('error', () => {});
  await inspector.connect();
});

afterAll(async () => {
  inspector.destroy();
  await redisServer.stop();
  await tokenServer.close();
});

beforeEach(async () => {
  tokenServer.resetCounters();
  tokenServer.clearFaults();
  await inspector.flushAll();
});

afterEach(async () => {
  redisServer.resume();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** One worker: an axios instance with its own Redis client, as a separate process would have. */
interface Worker {
  instance: AxiosInstance;
  auth: VendastaAuth;
  storeErrors: Array<VendastaAuthEvents['store:error']>;
  warnings: string[];
}

async function startWorker(scopes = ['profile']): Promise<Worker> {
  const store = new RedisTokenStore({ url: redisServer.url, socket: { reconnectStrategy: 100 } });
  const instance = axios.create({ baseURL: tokenServer.url });
  const warnings: string[] = [];
  const auth = attachVendastaAuth(instance, {
    credentials: credentialsPath,
    scopes,
    store,
    retry: { retries: 2, minTimeoutMs: 10, maxTimeoutMs: 20 },
    logger: { warn: (_context, message) => warnings.push(message) },
  });
  const storeErrors: Worker['storeErrors'] = [];
  auth.events.on('store:error', (event) => storeErrors.push(event));
  cleanups.push(() => store.close(), () => auth.detach());
  return { instance, auth, storeErrors, warnings };
}

async function requestAll(worker: Worker, count: number): Promise<number[]> {
  const results = await Promise.allSettled(Array.from({ length: count }, () => worker.instance.get('/api/fleet')));
  return results.map((result) => (result.status === 'fulfilled' ? result.value.status : 0));
}

async function storedValues(): Promise<Map<string, string>> {
  const values = new Map<string, string>();
  for (const key of await inspector.keys('*')) {
    const value = await inspector.get(key);
    if (value !== null) values.set(key, value);
  }
  return values;
}

async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Condition not met within ${timeoutMs} ms.`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('token source with RedisTokenStore', () => {
  test('a second worker reuses the stored token', async () => {
    const first = await startWorker();
    await first.auth.getAccessToken();
    await waitUntil(async () => (await storedValues()).size === 1);

    const second = await startWorker();
    expect(await requestAll(second, 20)).toEqual(Array(20).fill(200));
    expect(tokenServer.tokenRequests).toBe(1);
  });

  test('tokens at rest are sealed', async () => {
    const worker = await startWorker();
    const token = await worker.auth.getAccessToken();
    await waitUntil(async () => (await storedValues()).size === 1);

    const stored = [...(await storedValues())].join('\n');
    expect(stored.includes(token)).toBe(false);
    expect(stored.includes(token.slice(0, 12))).toBe(false);
    expect(stored).not.toMatch(/PRIVATE KEY|eyJ/);
  });

  test('value copied to another scope set is rejected', async () => {
    const profile = await startWorker(['profile']);
    const profileToken = await profile.auth.getAccessToken();
    await waitUntil(async () => (await storedValues()).size === 1);
    const [[profileKey, profileValue]] = [...(await storedValues())] as [[string, string]];

    const email = await startWorker(['email']);
    await email.auth.getAccessToken();
    await waitUntil(async () => (await storedValues()).size === 2);
    const emailKey = [...(await storedValues()).keys()].find((key) => key !== profileKey)!;
    await inspector.set(emailKey, profileValue, { PX: 60_000 });

    const reader = await startWorker(['email']);
    const token = await reader.auth.getAccessToken();
    expect(tokenServer.tokenRequests).toBe(3);
    expect(token === profileToken).toBe(false);
  });

  test('value sealed by another private key is rejected', async () => {
    const account = loadServiceAccount(credentialsPath).withTokenUri(tokenServer.tokenUri);
    const cacheKey = [account.tokenUri, account.clientEmail, account.keyId, 'profile'].join('\n');
    const writer = await startWorker();
    await writer.auth.getAccessToken();
    await waitUntil(async () => (await storedValues()).size === 1);
    const [storeKey] = [...(await storedValues()).keys()] as [string];
    const plaintext = JSON.stringify({ t: 'planted-token', e: Date.now() + 3_600_000, l: 3600 });

    // Control: a value sealed with the account's own key for this cache key is accepted.
    await inspector.set(storeKey, new TokenSealer(account.privateKey).seal(cacheKey, plaintext), { PX: 60_000 });
    expect((await (await startWorker()).auth.getAccessToken()) === 'planted-token').toBe(true);
    expect(tokenServer.tokenRequests).toBe(1);

    const { privateKey: otherKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await inspector.set(storeKey, new TokenSealer(otherKey).seal(cacheKey, plaintext), { PX: 60_000 });
    expect((await (await startWorker()).auth.getAccessToken()) === 'planted-token').toBe(false);
    expect(tokenServer.tokenRequests).toBe(2);
  });

  test('late 401 does not evict a fresh token', async () => {
    const first = await startWorker();
    const second = await startWorker();
    await first.auth.getAccessToken();
    await waitUntil(async () => (await storedValues()).size === 1);
    await second.auth.getAccessToken();
    expect(tokenServer.tokenRequests).toBe(1);
    const oldValue = [...(await storedValues()).values()][0];

    tokenServer.revokeAll();
    expect(await requestAll(first, 1)).toEqual([200]);
    expect(tokenServer.tokenRequests).toBe(2);
    await waitUntil(async () => {
      const values = [...(await storedValues()).values()];
      return values.length === 1 && values[0] !== oldValue;
    });
    const freshValue = [...(await storedValues()).values()][0];

    // The second worker still sends the revoked token, and its 401 must not delete the fresh one.
    expect(await requestAll(second, 1)).toEqual([200]);
    expect(tokenServer.tokenRequests).toBe(2);
    expect([...(await storedValues()).values()]).toEqual([freshValue]);
  });

  test('Redis stopped mid-run: no failed requests', async () => {
    const warm = await startWorker();
    const other = await startWorker();
    expect(await requestAll(warm, 50)).toEqual(Array(50).fill(200));
    await waitUntil(async () => (await storedValues()).size === 1);
    expect(await requestAll(other, 50)).toEqual(Array(50).fill(200));
    expect(tokenServer.tokenRequests).toBe(1);

    await redisServer.stop();
    warm.auth.invalidate();
    expect(await requestAll(warm, 50)).toEqual(Array(50).fill(200));
    expect(await requestAll(other, 50)).toEqual(Array(50).fill(200));
    const cold = await startWorker();
    expect(await requestAll(cold, 50)).toEqual(Array(50).fill(200));

    expect(tokenServer.tokenRequests).toBe(3);
    expect(other.storeErrors).toEqual([]);
    expect(warm.storeErrors.map((event) => event.operation)).toContain('get');
    expect(warm.storeErrors.every((event) => event.error instanceof Error)).toBe(true);
    expect(cold.storeErrors.map((event) => event.operation)).toContain('get');
    expect(warm.warnings).toContain('Token store call failed, so the plugin goes on with its local cache.');
    await redisServer.restart();
  });

  test('store:error is rate-limited per operation', async () => {
    const worker = await startWorker();
    await worker.auth.getAccessToken();
    await redisServer.stop();
    for (let round = 0; round < 5; round++) {
      worker.auth.invalidate();
      expect(await requestAll(worker, 5)).toEqual(Array(5).fill(200));
    }

    expect(tokenServer.tokenRequests).toBe(6);
    const operations = worker.storeErrors.map((event) => event.operation);
    expect(operations.filter((operation) => operation === 'get')).toHaveLength(1);
    expect(new Set(operations).size).toBe(operations.length);
    expect(worker.warnings.length).toBe(operations.length);
    await redisServer.restart();
  });

  test('Redis restarted: workers reconnect and share again', async () => {
    const worker = await startWorker();
    await worker.auth.getAccessToken();
    await redisServer.restart();

    // The client reconnects by itself, and until then this worker fetches on its own.
    await waitUntil(async () => {
      worker.auth.invalidate();
      await worker.auth.getAccessToken();
      return (await storedValues()).size === 1;
    });
    const fetched = tokenServer.tokenRequests;
    const cold = await startWorker();
    expect(await requestAll(cold, 20)).toEqual(Array(20).fill(200));
    expect(tokenServer.tokenRequests).toBe(fetched);
  });

  test('Redis flushed mid-run: workers go on', async () => {
    const warm = await startWorker();
    expect(await requestAll(warm, 20)).toEqual(Array(20).fill(200));
    await waitUntil(async () => (await storedValues()).size === 1);

    await inspector.flushAll();
    expect(await requestAll(warm, 20)).toEqual(Array(20).fill(200));
    expect(tokenServer.tokenRequests).toBe(1);

    const cold = await startWorker();
    expect(await requestAll(cold, 20)).toEqual(Array(20).fill(200));
    expect(tokenServer.tokenRequests).toBe(2);
    await waitUntil(async () => (await storedValues()).size === 1);
    const another = await startWorker();
    expect(await requestAll(another, 20)).toEqual(Array(20).fill(200));
    expect(tokenServer.tokenRequests).toBe(2);
    expect(warm.storeErrors).toEqual([]);
  });

  test('Redis frozen mid-run: requests go on after the timeout', async () => {
    const worker = await startWorker();
    await worker.auth.getAccessToken();

    redisServer.pause();
    worker.auth.invalidate();
    const statuses = await requestAll(worker, 20);
    redisServer.resume();

    expect(statuses).toEqual(Array(20).fill(200));
    expect(tokenServer.tokenRequests).toBe(2);
    const codes = worker.storeErrors.map((event) => (event.error as { code?: string }).code);
    expect(codes).toContain('ERR_STORE_TIMEOUT');
  });
});

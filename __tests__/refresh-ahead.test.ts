import axios, { type AxiosInstance } from 'axios';

import { attachVendastaAuth, type VendastaAuth, type VendastaAuthEvents } from '../lib/index.js';
import { startTokenServer, type LocalTokenServer } from '../lib/testing/index.js';
import { nextRefreshAfterFailure, scheduleRefresh } from '../lib/token-schedule.js';
import { waitForQuiet } from './helpers/auth.js';

let server: LocalTokenServer;
let credentialsPath: string;
let instance: AxiosInstance;
let auth: VendastaAuth | undefined;

beforeAll(async () => {
  server = await startTokenServer();
  credentialsPath = (await server.createCredentials()).path;
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  server.resetCounters();
  server.clearFaults();
  instance = axios.create({ baseURL: server.url });
});

afterEach(async () => {
  auth?.detach();
  auth = undefined;
  await waitForQuiet(server);
});

type Seen = { [Key in keyof VendastaAuthEvents]?: Array<VendastaAuthEvents[Key] & { at: number }> };

function attach(options: Partial<Parameters<typeof attachVendastaAuth>[1]>): { handle: VendastaAuth; seen: Seen } {
  const handle = attachVendastaAuth(instance, { credentials: credentialsPath, scopes: 'profile', ...options });
  const seen: Seen = {};
  handle.events.on('*', (type, payload) => {
    const list = (seen[type] ??= []) as unknown[];
    list.push({ ...payload, at: Date.now() });
  });
  auth = handle;
  return { handle, seen };
}

const sleepUntil = (time: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, time - Date.now())));

async function until(condition: () => boolean, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('refresh-ahead', () => {
  test('soft window serves while refreshing', async () => {
    server.tokenLifetimeSeconds = 8;
    const { seen } = attach({
      expiryMarginSeconds: 1,
      refreshAheadSeconds: 4,
      attemptTimeoutMs: 1000,
      retry: { retries: 1, minTimeoutMs: 10, maxTimeoutMs: 20 },
    });
    await instance.get('/api/warm');
    const expiresAt = seen['token:success']![0]!.expiresAt;

    // The refresh point lies between 4 s and 3 s before the stale point, 1 s before expiry.
    await sleepUntil(expiresAt - 1000 - 2900);
    server.injectFaults({ hang: true });
    const responses = await Promise.all(Array.from({ length: 20 }, () => instance.get('/api/soft')));

    // The refresh hangs for a second, so these responses did not wait for it.
    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
    expect(seen['token:success']).toHaveLength(1);
    await until(() => server.tokenRequests === 2, 5000);
    expect(server.tokensIssued).toBe(1);
    await until(() => (seen['token:success']?.length ?? 0) === 2, 5000);
    expect(server.tokenRequests).toBe(3);
    expect(server.tokensIssued).toBe(2);
    expect(seen['token:success']![1]!.at).toBeLessThan(expiresAt - 1000);
  });

  test('hard window makes requests wait', async () => {
    server.tokenLifetimeSeconds = 4;
    const { seen } = attach({
      expiryMarginSeconds: 1,
      refreshAheadSeconds: 0,
      retry: { retries: 2, minTimeoutMs: 10, maxTimeoutMs: 20 },
    });
    await instance.get('/api/warm');
    const expiresAt = seen['token:success']![0]!.expiresAt;
    const before = server.tokenRequests;

    await sleepUntil(expiresAt - 1000 + 20);
    server.injectFaults({ status: 503, delayMs: 200 });
    const order: string[] = [];
    auth!.events.on('token:success', () => order.push('token'));
    const response = await instance.get('/api/hard');
    order.push('response');

    expect(response.status).toBe(200);
    expect(order).toEqual(['token', 'response']);
    expect(server.tokenRequests - before).toBe(2);
  });

  test('failed background refresh backs off', async () => {
    server.tokenLifetimeSeconds = 8;
    const { seen } = attach({ expiryMarginSeconds: 1, refreshAheadSeconds: 4, retry: false });
    await instance.get('/api/warm');
    const staleAt = seen['token:success']![0]!.expiresAt - 1000;

    await sleepUntil(staleAt - 2900);
    server.injectFaults({ status: 503 });
    expect((await instance.get('/api/soft')).status).toBe(200);
    await until(() => (seen['token:error']?.length ?? 0) === 1, 3000);
    expect(seen['token:error']![0]).toMatchObject({ willRetry: true, attempt: 1 });
    expect(seen['token:error']![0]!.error.code).toBe('ERR_TOKEN_REQUEST_FAILED');

    // Within the back-off, requests keep the valid token and start no fetch.
    await Promise.all(Array.from({ length: 5 }, () => instance.get('/api/backoff')));
    expect(server.tokenRequests).toBe(2);

    while (server.tokenRequests === 2 && Date.now() < staleAt) {
      await instance.get('/api/poll');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await until(() => (seen['token:success']?.length ?? 0) === 2, 3000);
    expect(seen['token:success']![1]!.at).toBeLessThan(staleAt);
  });
});

describe('scheduleRefresh', () => {
  const settings = { expiryMarginMs: 60_000, refreshAheadMs: 300_000 };

  test('long token keeps both windows', () => {
    const schedule = scheduleRefresh(3_600_000, 0, settings, 0);
    expect(schedule.staleAt).toBe(3_540_000);
    expect(schedule.refreshAt).toBe(3_240_000);
  });

  test('short token clamps both windows', () => {
    const schedule = scheduleRefresh(100_000, 0, settings, 0);
    expect(schedule.staleAt).toBe(75_000);
    expect(schedule.refreshAt).toBe(25_000);
  });

  test('jitter moves refresh by up to a quarter', () => {
    expect(scheduleRefresh(3_600_000, 0, settings, 1).refreshAt).toBe(3_315_000);
    const points = new Set(Array.from({ length: 20 }, () => scheduleRefresh(3_600_000, 0, settings).refreshAt));
    expect(points.size).toBeGreaterThan(1);
    for (const point of points) {
      expect(point).toBeGreaterThanOrEqual(3_240_000);
      expect(point).toBeLessThanOrEqual(3_315_000);
    }
  });

  test('zero refresh-ahead refreshes at stale point', () => {
    const schedule = scheduleRefresh(3_600_000, 0, { expiryMarginMs: 60_000, refreshAheadMs: 0 }, 0.5);
    expect(schedule.refreshAt).toBe(schedule.staleAt);
  });

  test('back-off doubles and stays before stale point', () => {
    expect(nextRefreshAfterFailure(1, 0, 100_000)).toBe(2000);
    expect(nextRefreshAfterFailure(3, 0, 100_000)).toBe(8000);
    expect(nextRefreshAfterFailure(10, 0, 10_000)).toBe(5000);
    expect(nextRefreshAfterFailure(1, 20_000, 10_000)).toBe(20_000);
  });
});

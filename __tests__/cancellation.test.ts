import axios, { AxiosError, type AxiosInstance } from 'axios';

import { attachVendastaAuth, type Logger, type VendastaAuth } from '../lib/index.js';
import { startTokenServer, type LocalTokenServer } from '../lib/testing/index.js';
import { waitForQuiet } from './helpers/auth.js';

let server: LocalTokenServer;
let credentialsPath: string;
let instance: AxiosInstance;
let auth: VendastaAuth | undefined;
let logLines: Array<{ message: string; context: Record<string, unknown> }>;

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
  logLines = [];
});

afterEach(async () => {
  auth?.detach();
  auth = undefined;
  await waitForQuiet(server);
});

const logger: Logger = {
  error: (context, message) => logLines.push({ context, message }),
};

/** Attaches with a hung first token request that ends after `attemptTimeoutMs`, then one retry. */
function attachWithHungEndpoint(attemptTimeoutMs: number): VendastaAuth {
  server.injectFaults({ hang: true });
  auth = attachVendastaAuth(instance, {
    credentials: credentialsPath,
    scopes: 'profile',
    attemptTimeoutMs,
    retry: { retries: 1, minTimeoutMs: 10, maxTimeoutMs: 20 },
    logger,
  });
  return auth;
}

/** Polls `condition` every 10 ms for at most `limitMs`. */
async function until(condition: () => boolean, limitMs = 5000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function track<T>(promise: Promise<T>) {
  const state = { settled: false, result: undefined as T | unknown };
  const done = promise.then(
    (value) => Object.assign(state, { settled: true, result: value }),
    (error: unknown) => Object.assign(state, { settled: true, result: error }),
  );
  return { state, done };
}

describe('cancellation of token waits', () => {
  test('abort rejects only that caller', async () => {
    attachWithHungEndpoint(1500);
    const controller = new AbortController();
    const aborted = instance.get('/api/a', { signal: controller.signal }).catch((error: unknown) => error);
    const others = [track(instance.get('/api/b')), track(instance.get('/api/c'))];
    await until(() => server.tokenRequests === 1);

    controller.abort();
    const error = await aborted;
    expect(axios.isCancel(error)).toBe(true);
    expect(others.map(({ state }) => state.settled)).toEqual([false, false]);

    await Promise.all(others.map(({ done }) => done));
    expect(others.map(({ state }) => (state.result as { status?: number }).status)).toEqual([200, 200]);
    expect(server.tokenRequests).toBe(2);
    expect(logLines).toEqual([]);
  });

  test('timeout rejects only that caller', async () => {
    attachWithHungEndpoint(1500);
    const other = track(instance.get('/api/b'));
    const error = await instance.get('/api/a', { timeout: 100 }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(AxiosError);
    expect((error as AxiosError).code).toBe('ECONNABORTED');
    expect((error as AxiosError).message).toBe('timeout of 100ms exceeded while waiting for an access token');
    expect(other.state.settled).toBe(false);
    await other.done;
    expect((other.state.result as { status?: number }).status).toBe(200);
    expect(server.apiRequests).toBe(1);
  });

  test('timeout honours clarifyTimeoutError', async () => {
    attachWithHungEndpoint(1500);
    const error = await instance
      .get('/api/a', { timeout: 50, transitional: { clarifyTimeoutError: true } })
      .catch((caught: unknown) => caught);
    expect((error as AxiosError).code).toBe('ETIMEDOUT');
  });

  test('all callers abort, fetch is aborted', async () => {
    attachWithHungEndpoint(20_000);
    const controllers = [new AbortController(), new AbortController()];
    const pending = controllers.map((controller) =>
      instance.get('/api/x', { signal: controller.signal }).catch((error: unknown) => error),
    );
    await until(() => server.tokenRequests === 1);

    for (const controller of controllers) controller.abort();
    // Sent before the aborted fetch settles: it must start a fetch of its own, not join that one.
    const next = instance.get('/api/y');
    const errors = await Promise.all(pending);
    expect(errors.map((error) => axios.isCancel(error))).toEqual([true, true]);

    expect((await next).status).toBe(200);
    expect(server.tokenRequests).toBe(2);
    await until(() => logLines.length > 0);
    expect(logLines[0]?.context).toMatchObject({ code: 'ERR_ABORTED' });
  });

  test('already aborted signal starts no fetch', async () => {
    attachWithHungEndpoint(1500);
    server.clearFaults();
    const error = await instance.get('/api/x', { signal: AbortSignal.abort() }).catch((caught: unknown) => caught);
    expect(axios.isCancel(error)).toBe(true);
    expect(server.tokenRequests).toBe(0);
  });
});

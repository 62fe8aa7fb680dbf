import { spawnSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { inspect } from 'node:util';

import axios, { type AxiosInstance } from 'axios';

import { attachVendastaAuth, VendastaAuthError, type VendastaAuth, type VendastaAuthEvents } from '../lib/index.js';
import { startTokenServer, type LocalTokenServer } from '../lib/testing/index.js';
import { waitForQuiet } from './helpers/auth.js';
import { alwaysUnauthorized, startServer } from './helpers/servers.js';

let server: LocalTokenServer;
let credentialsPath: string;
let instance: AxiosInstance;
let auth: VendastaAuth | undefined;

beforeAll(async () => {
  server = await startTokenServer();
  credentialsPath = (await server.createCredentials({ alg: 'RS256' })).path;
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

function attach(options: Partial<Parameters<typeof attachVendastaAuth>[1]> = {}): VendastaAuth {
  auth = attachVendastaAuth(instance, {
    credentials: credentialsPath,
    scopes: ['profile', 'email'],
    retry: { retries: 2, minTimeoutMs: 10, maxTimeoutMs: 20 },
    ...options,
  });
  return auth;
}

function record(target: VendastaAuth) {
  const seen: Array<[keyof VendastaAuthEvents, unknown]> = [];
  target.events.on('*', (type, payload) => seen.push([type, payload]));
  return seen;
}

describe('attachVendastaAuth', () => {
  test('authorizes a request', async () => {
    attach();
    const response = await instance.get('/api/things');
    expect(response.status).toBe(200);
    expect(response.data.ok).toBe(true);
    expect(response.data.scopes).toEqual(['email', 'profile']);
    expect(server.tokenRequests).toBe(1);
  });

  test('works with ES256 credentials', async () => {
    const { path } = await server.createCredentials({ alg: 'ES256' });
    attach({ credentials: path });
    const response = await instance.get('/oauth2/user-info');
    expect(response.status).toBe(200);
    expect(server.lastTokenRequest?.kid).toBeDefined();
  });

  test('1000 cold concurrent requests, one token request', async () => {
    attach();
    const responses = await Promise.all(Array.from({ length: 1000 }, () => instance.get('/api/x')));
    expect(responses.every((response) => response.status === 200)).toBe(true);
    expect(server.tokenRequests).toBe(1);
    expect(server.apiRequests).toBe(1000);
  });

  test('reuses the cached token', async () => {
    attach();
    await instance.get('/api/a');
    await instance.get('/api/b');
    await auth!.getAccessToken();
    expect(server.tokenRequests).toBe(1);
  });

  test('scope order and duplicates share a token', async () => {
    attach();
    await instance.get('/api/a');
    await instance.get('/api/b', { vendastaAuth: { scopes: 'email profile email' } });
    expect(server.tokenRequests).toBe(1);
  });

  test('per-request scopes use their own token', async () => {
    attach();
    const response = await instance.get('/api/a', { vendastaAuth: { scopes: ['admin'] } });
    expect(response.data.scopes).toEqual(['admin']);
    expect(server.tokenRequests).toBe(1);
    await instance.get('/api/b');
    expect(server.tokenRequests).toBe(2);
  });

  test('200 concurrent 401s, one token request', async () => {
    attach();
    await instance.get('/api/warm');
    server.resetCounters();
    server.revokeAll();
    const seen = record(auth!);

    const responses = await Promise.all(Array.from({ length: 200 }, () => instance.get('/api/x')));
    expect(responses.every((response) => response.status === 200)).toBe(true);
    expect(server.tokenRequests).toBe(1);
    expect(seen.filter(([type]) => type === 'token:invalidate')).toHaveLength(1);
    expect(seen.filter(([type]) => type === 'request:retry')).toHaveLength(200);
  });

  test('persistent 401 retries exactly once', async () => {
    const api = await startServer(alwaysUnauthorized);
    try {
      attach({ allowedHosts: [api.url] });
      const error = await instance.get(`${api.url}/resource`).catch((caught: unknown) => caught);
      expect(axios.isAxiosError(error)).toBe(true);
      expect((error as { response?: { status: number } }).response?.status).toBe(401);
      expect(api.requests).toHaveLength(2);
      expect(server.tokenRequests).toBe(2);
    } finally {
      await api.close();
    }
  });

  test('401 error masks the token', async () => {
    const api = await startServer(alwaysUnauthorized);
    try {
      attach({ allowedHosts: [api.url] });
      const token = await auth!.getAccessToken();
      const error = await instance.get(`${api.url}/resource`).catch((caught: unknown) => caught);
      expect(inspect(error, { depth: 8 })).not.toContain(token);
      expect(JSON.stringify(error)).not.toContain(token);
      expect(api.requests[0]?.authorization).toMatch(/^Bearer ./);
    } finally {
      await api.close();
    }
  });

  test('stream body 401 hides the token', async () => {
    attach();
    const token = await auth!.getAccessToken();
    server.revokeAll();
    const error = await instance.post('/api/items', Readable.from(['abc'])).catch((caught: unknown) => caught);
    expect((error as { response?: { status: number } }).response?.status).toBe(401);
    expect((error as { vendastaAuthNotRetried?: string }).vendastaAuthNotRetried).toBe('body-not-replayable');
    expect(JSON.stringify(error)).not.toContain(token);
    expect(inspect(error, { depth: 12 })).not.toContain(token);
  });

  test('skipped request error hides the socket', async () => {
    attach();
    const token = await auth!.getAccessToken();
    await instance.get('/api/warm');
    // Same server under another host name: not allowed, so it goes out without the token and
    // may reuse the keep-alive socket whose last header carried it.
    const other = server.url.replace('127.0.0.1', 'localhost');
    const error = await instance.get(`${other}/api/x`).catch((caught: unknown) => caught);
    expect((error as { response?: { status: number } }).response?.status).toBe(401);
    expect(inspect(error, { depth: 12 })).not.toContain(token);
  });

  test('explicit Authorization is left alone', async () => {
    const api = await startServer((_request, response) => response.end('ok'));
    try {
      attach({ allowedHosts: [api.url] });
      const seen = record(auth!);
      await instance.get(`${api.url}/x`, { headers: { Authorization: 'Basic abc' } });
      expect(api.requests[0]?.authorization).toBe('Basic abc');
      expect(seen).toContainEqual(['request:skip', expect.objectContaining({ reason: 'explicit-authorization' })]);
      expect(server.tokenRequests).toBe(0);
    } finally {
      await api.close();
    }
  });

  test('vendastaAuth false skips auth', async () => {
    attach();
    const seen = record(auth!);
    const error = await instance.get('/api/x', { vendastaAuth: false }).catch((caught: unknown) => caught);
    expect((error as { response?: { status: number } }).response?.status).toBe(401);
    expect(server.tokenRequests).toBe(0);
    expect(seen).toContainEqual(['request:skip', { method: 'GET', url: `${server.url}/api/x`, reason: 'opt-out' }]);
  });

  test('failed fetch is not replayed', async () => {
    attach({ retry: false, cooldownMs: 0 });
    server.injectFaults({ status: 400, body: { error: 'invalid_grant', error_description: 'key disabled' } });
    const first = await instance.get('/api/x').catch((caught: unknown) => caught);
    expect(first).toBeInstanceOf(VendastaAuthError);
    expect((first as VendastaAuthError).code).toBe('ERR_OAUTH_INVALID_GRANT');
    const second = await instance.get('/api/x');
    expect(second.status).toBe(200);
    expect(server.tokenRequests).toBe(2);
  });

  test('retries 503 then succeeds', async () => {
    attach();
    server.injectFaults({ status: 503 }, { status: 502 });
    const seen = record(auth!);
    const response = await instance.get('/api/x');
    expect(response.status).toBe(200);
    expect(server.tokenRequests).toBe(3);
    const errors = seen.filter(([type]) => type === 'token:error').map(([, payload]) => payload);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatchObject({ attempt: 1, willRetry: true });
    expect(seen.find(([type]) => type === 'token:success')?.[1]).toMatchObject({ attempts: 3 });
  });

  test('events carry no secrets', async () => {
    attach();
    const seen = record(auth!);
    await instance.get('/api/x');
    server.revokeAll();
    await instance.get('/api/y');
    const token = await auth!.getAccessToken();
    const text = inspect(seen, { depth: 8 });
    expect(seen.map(([type]) => type)).toEqual(
      expect.arrayContaining(['token:request', 'token:success', 'token:invalidate', 'request:retry']),
    );
    expect(text).not.toContain(token);
    expect(text).not.toMatch(/PRIVATE KEY|eyJ/);
  });

  test('throwing listener breaks nothing', async () => {
    attach();
    auth!.events.on('token:success', () => {
      throw new Error('listener failed');
    });
    auth!.events.on('*', () => {
      throw new Error('wildcard failed');
    });
    const response = await instance.get('/api/x');
    expect(response.status).toBe(200);
  });

  test('rejecting async listener breaks nothing', async () => {
    attach();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      auth!.events.on('token:success', async () => {
        throw new Error('async listener failed');
      });
      const response = await instance.get('/api/x');
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(response.status).toBe(200);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  test('next caller after abort starts anew', async () => {
    attach();
    server.injectFaults({ hang: true });
    const controller = new AbortController();
    const aborted = instance.get('/api/a', { signal: controller.signal }).catch((caught: unknown) => caught);
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    const next = instance.get('/api/b');
    expect(axios.isCancel(await aborted)).toBe(true);
    expect((await next).status).toBe(200);
    expect(server.tokenRequests).toBe(2);
  });

  test('401 accepted by validateStatus is retried', async () => {
    attach();
    await instance.get('/api/warm');
    server.revokeAll();
    const response = await instance.get('/api/x', { validateStatus: () => true });
    expect(response.status).toBe(200);
    expect(server.tokenRequests).toBe(2);
  });

  test.each([['no'], [null], [true], [[]]])('vendastaAuth %p is a TypeError', async (value) => {
    attach();
    const error = await instance
      .get('/api/x', { vendastaAuth: value as unknown as false })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toContain('`vendastaAuth`');
    expect(server.tokenRequests).toBe(0);
  });

  test('vendastaAuth with unknown field', async () => {
    attach();
    const error = await instance
      .get('/api/x', { vendastaAuth: { scope: ['admin'] } as unknown as { scopes: string[] } })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toContain('`vendastaAuth.scope`');
    expect(server.tokenRequests).toBe(0);
  });

  test('bad scopes fail on skipped hosts too', async () => {
    attach();
    const error = await instance
      .get('http://localhost:9/x', { vendastaAuth: { scopes: 5 as unknown as string } })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toContain('`vendastaAuth.scopes`');
  });

  test('vendastaAuth scopes of wrong type', async () => {
    attach();
    const error = await instance
      .get('/api/x', { vendastaAuth: { scopes: 5 as unknown as string } })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toContain('`vendastaAuth.scopes`');
  });

  test('throwing allowedHosts function allows nothing', async () => {
    attach({
      allowedHosts: () => {
        throw new Error('predicate failed');
      },
    });
    const seen = record(auth!);
    const error = await instance.get('/api/x').catch((caught: unknown) => caught);
    expect((error as { response?: { status: number } }).response?.status).toBe(401);
    expect(seen).toContainEqual(['request:skip', expect.objectContaining({ reason: 'host-not-allowed' })]);
    expect(server.tokenRequests).toBe(0);
  });

  test('second attach is rejected', () => {
    attach();
    expect(() => attachVendastaAuth(instance, { credentials: credentialsPath, scopes: 'a' })).toThrow(
      expect.objectContaining({ code: 'ERR_ALREADY_ATTACHED' }),
    );
  });

  test('detach ejects the interceptors', async () => {
    const handle = attach();
    await instance.get('/api/x');
    handle.detach();
    const error = await instance.get('/api/x').catch((caught: unknown) => caught);
    expect((error as { response?: { status: number } }).response?.status).toBe(401);
    expect(handle.events.all.size).toBe(0);
  });

  test('detach rejects waiters', async () => {
    const handle = attach();
    server.injectFaults({ hang: true });
    const pending = instance.get('/api/x').catch((caught: unknown) => caught);
    await new Promise((resolve) => setTimeout(resolve, 50));
    handle.detach();
    const error = await pending;
    expect(error).toBeInstanceOf(VendastaAuthError);
    expect((error as VendastaAuthError).code).toBe('ERR_DETACHED');
  });

  test('one request then detach exits', () => {
    const script = `
      import axios from 'axios';
      import { attachVendastaAuth } from './dist/index.js';
      import { startTokenServer } from './dist/testing/index.js';
      const server = await startTokenServer();
      const { path } = await server.createCredentials();
      const instance = axios.create({ baseURL: server.url });
      const auth = attachVendastaAuth(instance, { credentials: path, scopes: 'profile' });
      const response = await instance.get('/api/x');
      auth.detach();
      await server.close();
      console.log('status', response.status);
    `;
    const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { encoding: 'utf8' });
    expect(build.status).toBe(0);
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.signal).toBeNull();
    expect(run.stdout).toContain('status 200');
    expect(run.status).toBe(0);
  });
});

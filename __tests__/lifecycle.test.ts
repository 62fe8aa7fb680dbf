import { readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import axios, { type AxiosInstance } from 'axios';

import {
  attachVendastaAuth,
  CredentialsError,
  VendastaAuthError,
  type VendastaAuth,
  type VendastaAuthEvents,
} from '../lib/index.js';
import { startTokenServer, type LocalTokenServer } from '../lib/testing/index.js';

let server: LocalTokenServer;
let credentialsPath: string;
let credentialsJson: Record<string, unknown>;
let instance: AxiosInstance;
let auth: VendastaAuth | undefined;

beforeAll(async () => {
  server = await startTokenServer();
  const created = await server.createCredentials({ alg: 'ES256' });
  credentialsPath = created.path;
  credentialsJson = created.credentials as unknown as Record<string, unknown>;
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  server.resetCounters();
  instance = axios.create({ baseURL: server.url });
});

afterEach(() => {
  auth?.detach();
  auth = undefined;
});

function handlerCount(target: AxiosInstance): number {
  const live = (handlers: unknown[] | undefined) => (handlers ?? []).filter((handler) => handler !== null).length;
  // `handlers` is public in axios at run time, but the declarations of axios 1.7 omit it.
  const { request, response } = target.interceptors as unknown as Record<string, { handlers?: unknown[] }>;
  return live(request?.handlers) + live(response?.handlers);
}

describe('attach and detach', () => {
  test('second attach is ERR_ALREADY_ATTACHED', () => {
    auth = attachVendastaAuth(instance, { credentials: credentialsJson, scopes: 'profile' });
    let error: unknown;
    try {
      attachVendastaAuth(instance, { credentials: credentialsJson, scopes: 'profile' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(VendastaAuthError);
    expect((error as VendastaAuthError).code).toBe('ERR_ALREADY_ATTACHED');
    expect((error as Error).message).toMatch(/already has vendasta-axios-auth attached\. Call detach\(\)/);
    expect(handlerCount(instance)).toBe(2);
  });

  test('10,000 cycles leave no handlers', () => {
    // axios' eject() leaves a null slot per handler in `handlers`, so only non-null ones count.
    const userInterceptor = instance.interceptors.request.use((config) => config);
    for (let cycle = 0; cycle < 10_000; cycle++) {
      const handle = attachVendastaAuth(instance, { credentials: credentialsJson, scopes: 'profile' });
      handle.events.on('token:success', () => {});
      handle.detach();
      handle.detach();
    }
    expect(handlerCount(instance)).toBe(1);
    instance.interceptors.request.eject(userInterceptor);
    expect(handlerCount(instance)).toBe(0);
  }, 60_000);

  test('attach after detach works', async () => {
    attachVendastaAuth(instance, { credentials: credentialsPath, scopes: 'profile' }).detach();
    auth = attachVendastaAuth(instance, { credentials: credentialsPath, scopes: 'profile' });
    expect((await instance.get('/api/x')).status).toBe(200);
    expect(handlerCount(instance)).toBe(2);
  });

  test('detach clears listeners and rejects new fetches', async () => {
    const handle = attachVendastaAuth(instance, { credentials: credentialsPath, scopes: 'profile' });
    handle.events.on('*', () => {});
    handle.detach();
    expect(handle.events.all.size).toBe(0);
    const error = await handle.getAccessToken().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(VendastaAuthError);
    expect((error as VendastaAuthError).code).toBe('ERR_DETACHED');
    expect(server.tokenRequests).toBe(0);
  });
});

describe('credentials rotation', () => {
  /** Writes new credentials for the same account over `path`, and trusts only the new key. */
  async function rotate(path: string): Promise<string> {
    const old = JSON.parse(await readFile(path, 'utf8')) as { private_key_id: string; client_email: string };
    const fresh = await server.createCredentials({ clientEmail: old.client_email });
    server.removeKey(old.private_key_id);
    // rename() swaps the file atomically, as a secret-mount update or a careful deploy would.
    const staging = join(dirname(path), 'staging.json');
    await writeFile(staging, await readFile(fresh.path, 'utf8'), { mode: 0o600 });
    await rename(staging, path);
    return fresh.credentials.private_key_id;
  }

  async function ownCredentialsFile(): Promise<string> {
    const { path, credentials } = await server.createCredentials();
    const copy = join(dirname(path), 'rotating.json');
    await writeFile(copy, JSON.stringify(credentials), { mode: 0o600 });
    return copy;
  }

  test('reload() picks up a rotated file', async () => {
    const path = await ownCredentialsFile();
    auth = attachVendastaAuth(instance, { credentials: path, scopes: 'profile' });
    const reasons: Array<VendastaAuthEvents['token:invalidate']['reason']> = [];
    auth.events.on('token:invalidate', ({ reason }) => reasons.push(reason));
    await instance.get('/api/before');

    const newKid = await rotate(path);
    const account = auth.reload();
    expect(account.keyId).toBe(newKid);
    expect(auth.serviceAccount.keyId).toBe(newKid);
    expect(reasons).toEqual(['reload']);

    expect((await instance.get('/api/after')).status).toBe(200);
    expect(server.lastTokenRequest?.kid).toBe(newKid);
    expect(server.tokenRequests).toBe(2);
  });

  test('reload(input) takes new credentials', async () => {
    auth = attachVendastaAuth(instance, { credentials: credentialsPath, scopes: 'profile' });
    const other = await server.createCredentials({ alg: 'RS256' });
    auth.reload(other.credentials as unknown as Record<string, unknown>);
    await instance.get('/api/x');
    expect(server.lastTokenRequest?.kid).toBe(other.credentials.private_key_id);
  });

  test('invalid reload keeps the current key', async () => {
    auth = attachVendastaAuth(instance, { credentials: credentialsPath, scopes: 'profile' });
    await instance.get('/api/x');
    let error: unknown;
    try {
      auth.reload({ ...credentialsJson, private_key: 'not a key' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as CredentialsError).code).toBe('ERR_CREDENTIALS_INVALID');
    expect((error as CredentialsError).field).toBe('private_key');
    expect(auth.serviceAccount.keyId).toBe(credentialsJson.private_key_id);
    await instance.get('/api/y');
    expect(server.tokenRequests).toBe(1);
  });

  test('invalid_client re-reads the file once', async () => {
    const path = await ownCredentialsFile();
    auth = attachVendastaAuth(instance, { credentials: path, scopes: 'profile', retry: false });
    await instance.get('/api/before');
    const newKid = await rotate(path);
    auth.invalidate();

    const response = await instance.get('/api/after');
    expect(response.status).toBe(200);
    expect(auth.serviceAccount.keyId).toBe(newKid);
    expect(server.tokenRequests).toBe(3);
    // The token now sits under the new key's cache key: no further fetch.
    await instance.get('/api/again');
    expect(server.tokenRequests).toBe(3);
  });

  test('unchanged file keeps the invalid_client error', async () => {
    const path = await ownCredentialsFile();
    auth = attachVendastaAuth(instance, { credentials: path, scopes: 'profile', retry: false });
    server.removeKey(auth.serviceAccount.keyId);
    const error = await instance.get('/api/x').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(VendastaAuthError);
    expect((error as VendastaAuthError).code).toBe('ERR_OAUTH_INVALID_CLIENT');
    expect(server.tokenRequests).toBe(1);
  });

  test('inline credentials are not re-read', async () => {
    const { credentials } = await server.createCredentials();
    auth = attachVendastaAuth(instance, { credentials: JSON.stringify(credentials), scopes: 'profile', retry: false });
    server.removeKey(credentials.private_key_id);
    const error = await instance.get('/api/x').catch((caught: unknown) => caught);
    expect((error as VendastaAuthError).code).toBe('ERR_OAUTH_INVALID_CLIENT');
    expect(server.tokenRequests).toBe(1);
  });

  test('reload after detach is ERR_DETACHED', () => {
    const handle = attachVendastaAuth(instance, { credentials: credentialsPath, scopes: 'profile' });
    handle.detach();
    expect(() => handle.reload()).toThrow(expect.objectContaining({ code: 'ERR_DETACHED' }));
  });
});

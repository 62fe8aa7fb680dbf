import axios from 'axios';

import { attachVendastaAuth, MemoryTokenStore, type VendastaAuth } from '../lib/index.js';
import { startTokenServer, type LocalTokenServer } from '../lib/testing/index.js';

let server: LocalTokenServer;
let handles: VendastaAuth[] = [];

beforeAll(async () => {
  server = await startTokenServer();
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  server.resetCounters();
});

afterEach(() => {
  for (const handle of handles) handle.detach();
  handles = [];
});

/** Attaches to a new instance of the token server's API, sharing `store`. */
function attachShared(credentials: string, store: MemoryTokenStore, extra = {}, baseURL = server.url) {
  const instance = axios.create({ baseURL });
  handles.push(attachVendastaAuth(instance, { credentials, scopes: ['profile'], store, ...extra }));
  return instance;
}

describe('token cache key', () => {
  test('same account and scopes share a stored token', async () => {
    const { path } = await server.createCredentials({ alg: 'ES256' });
    const store = new MemoryTokenStore();
    await attachShared(path, store).get('/api/a');
    await attachShared(path, store).get('/api/b');
    expect(server.tokenRequests).toBe(1);
  });

  test('other service account gets its own token', async () => {
    const store = new MemoryTokenStore();
    const first = await attachShared((await server.createCredentials({ alg: 'ES256' })).path, store).get('/api/a');
    const second = await attachShared((await server.createCredentials({ alg: 'ES256' })).path, store).get('/api/b');
    expect(server.tokenRequests).toBe(2);
    expect(second.data.sub).not.toBe(first.data.sub);
  });

  test('other key id of one account gets its own token', async () => {
    const store = new MemoryTokenStore();
    const one = await server.createCredentials({ alg: 'ES256', clientEmail: 'rotating@example.test' });
    const two = await server.createCredentials({ alg: 'ES256', clientEmail: 'rotating@example.test' });
    await attachShared(one.path, store).get('/api/a');
    await attachShared(two.path, store).get('/api/b');
    expect(server.tokenRequests).toBe(2);
    expect(server.lastTokenRequest?.kid).toBe(two.credentials.private_key_id);
  });

  test('other token endpoint gets its own token', async () => {
    const other = await startTokenServer();
    try {
      const { path, credentials, publicKey } = await server.createCredentials({ alg: 'ES256' });
      other.registerKey(credentials.private_key_id, publicKey, credentials.client_email);
      const store = new MemoryTokenStore();
      await attachShared(path, store).get('/api/a');
      const options = { tokenUri: other.tokenUri, audience: other.audience };
      const response = await attachShared(path, store, options, other.url).get('/api/b');
      expect(response.status).toBe(200);
      expect(server.tokenRequests).toBe(1);
      expect(other.tokenRequests).toBe(1);
    } finally {
      await other.close();
    }
  });

  test('scope order and duplicates share a token', async () => {
    const { path } = await server.createCredentials({ alg: 'ES256' });
    const instance = attachShared(path, new MemoryTokenStore());
    await instance.get('/api/a', { vendastaAuth: { scopes: 'email profile' } });
    await instance.get('/api/b', { vendastaAuth: { scopes: ['profile', 'email', 'email'] } });
    await instance.get('/api/c', { vendastaAuth: { scopes: ['email  profile'] } });
    expect(server.tokenRequests).toBe(1);
  });

  test('per-request scopes reach the token', async () => {
    const { path } = await server.createCredentials({ alg: 'ES256' });
    const instance = attachShared(path, new MemoryTokenStore());
    const admin = await instance.get('/api/a', { vendastaAuth: { scopes: ['admin', 'profile'] } });
    const plain = await instance.get('/api/b');
    expect(admin.data.scopes).toEqual(['admin', 'profile']);
    expect(plain.data.scopes).toEqual(['profile']);
    expect(server.tokenRequests).toBe(2);
  });

  test('empty per-request scopes are a TypeError', async () => {
    const { path } = await server.createCredentials({ alg: 'ES256' });
    const instance = attachShared(path, new MemoryTokenStore());
    const error = await instance.get('/api/a', { vendastaAuth: { scopes: '  ' } }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as { code?: string }).code).toBe('ERR_INVALID_ARG_VALUE');
    expect((error as Error).message).toMatch(/`vendastaAuth\.scopes` is empty/);
    expect(server.tokenRequests).toBe(0);
  });
});

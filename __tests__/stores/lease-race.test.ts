import axios from 'axios';

import { attachVendastaAuth, type TokenStore, type VendastaAuth } from '../../lib/index.js';
import { startTokenServer, type LocalTokenServer } from '../../lib/testing/index.js';

/** Values and leases shared by several store views, like one Redis seen by several processes. */
class SharedMemory {
  readonly values = new Map<string, string>();
  readonly leases = new Map<string, string>();
  leaseCount = 0;
  markReleased: () => void = () => {};
  readonly released = new Promise<void>((resolve) => {
    this.markReleased = resolve;
  });
}

/** Creates a store view on `memory`. With `staleFirstGet`, the first `get` returns an old read, late. */
function storeView(memory: SharedMemory, staleFirstGet = false): TokenStore {
  let firstGet = staleFirstGet;
  return {
    async get(key) {
      const seen = memory.values.get(key);
      if (firstGet) {
        firstGet = false;
        // The value was read before the other process stored its token, and is returned after
        // that process released its lease.
        await memory.released;
      }
      return seen;
    },
    async set(key, value) {
      memory.values.set(key, value);
    },
    async delete(key, expected) {
      if (memory.values.get(key) === expected) memory.values.delete(key);
    },
    async acquireLease(key) {
      if (memory.leases.has(key)) return undefined;
      const id = `lease-${++memory.leaseCount}`;
      memory.leases.set(key, id);
      return id;
    },
    async releaseLease(key, id) {
      if (memory.leases.get(key) === id) memory.leases.delete(key);
      memory.markReleased();
    },
  };
}

let server: LocalTokenServer;
let credentialsPath: string;
const handles: VendastaAuth[] = [];

beforeAll(async () => {
  server = await startTokenServer();
  credentialsPath = (await server.createCredentials()).path;
});

afterAll(async () => {
  for (const handle of handles) handle.detach();
  await server.close();
});

test('lease taken after another release reuses its token', async () => {
  const memory = new SharedMemory();
  const attach = (store: TokenStore) => {
    const handle = attachVendastaAuth(axios.create(), { credentials: credentialsPath, scopes: 'profile', store });
    handles.push(handle);
    return handle;
  };
  const late = attach(storeView(memory, true));
  const first = attach(storeView(memory));

  const lateToken = late.getAccessToken();
  const firstToken = await first.getAccessToken();

  // Compared as a boolean, so a failure does not print the tokens.
  expect((await lateToken) === firstToken).toBe(true);
  expect(server.tokenRequests).toBe(1);
  expect(memory.leaseCount).toBe(2);
});

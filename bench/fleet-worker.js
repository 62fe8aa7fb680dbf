// One process of a fleet, started by sections/fleet.js over IPC. It attaches the plugin with the
// store that the parent names. On 'wave' it sends `concurrency` requests at once and reports how
// many failed, and on 'invalidate' it drops its cached tokens. It exits on 'exit' or when the
// parent disconnects.
import { Agent } from 'node:http';

import axios from 'axios';

import { importDist } from './lib/dist.js';

const { attachVendastaAuth } = await importDist('index.js');

/** Creates the token store named by `spec`: `{ kind: 'memory' }` or `{ kind: 'redis', url }`. */
async function createStore(spec) {
  if (spec.kind === 'memory') return undefined;
  const { createRedisStore } = await import('./lib/redis-store.js');
  return createRedisStore(spec.url);
}

async function wave(api, concurrency) {
  const results = await Promise.allSettled(Array.from({ length: concurrency }, () => api.get('/api/items')));
  return results.filter((result) => result.status === 'rejected').length;
}

/**
 * Waits until one read from the store completes, as a service would wait for Redis at start-up.
 * So the first wave measures a cold token cache, not a store that is still connecting. A store
 * whose read fails counts as ready, because the plugin then goes on without it.
 */
async function waitForStore(store) {
  await store?.get('vendasta-axios-auth:bench:ready').catch(() => {});
}

process.once('message', async (setup) => {
  const store = await createStore(setup.store);
  await waitForStore(store);
  const api = axios.create({
    baseURL: setup.url,
    httpAgent: new Agent({ keepAlive: true, maxSockets: 64 }),
    timeout: 30_000,
  });
  const auth = attachVendastaAuth(api, {
    credentials: setup.credentialsPath,
    scopes: ['profile', 'email'],
    ...(store === undefined ? {} : { store }),
  });
  let storeErrors = 0;
  auth.events.on('store:error', () => storeErrors++);

  const shutDown = async () => {
    auth.detach();
    api.defaults.httpAgent.destroy();
    await store?.close?.().catch(() => {});
    process.disconnect();
  };
  process.on('disconnect', () => process.exit(0));
  process.on('message', async (message) => {
    if (message.type === 'wave') {
      const failed = await wave(api, setup.concurrency);
      process.send({ type: 'wave-done', failed, storeErrors });
    } else if (message.type === 'invalidate') {
      auth.invalidate();
      // The store deletes the shared token in the background. A read on the same connection
      // returns after that delete, so the next wave starts on an empty store.
      await store?.get('vendasta-axios-auth:bench:barrier').catch(() => {});
      process.send({ type: 'invalidated' });
    } else if (message.type === 'exit') {
      await shutDown();
    }
  });
  process.send({ type: 'ready' });
});

// Runs the memory rows in a child process started with --expose-gc, so that heap figures are
// read after a full garbage collection and do not include the rest of the benchmark.
import { readFileSync } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';

import axios from 'axios';

import { createPluginClient, noopAdapter, SCOPES } from '../lib/clients.js';
import { importDist } from '../lib/dist.js';
import { runPool } from '../lib/stats.js';

const { attachVendastaAuth } = await importDist('index.js');

async function heapAfterGc() {
  for (let pass = 0; pass < 3; pass++) {
    globalThis.gc();
    await nextTurn();
  }
  return process.memoryUsage().heapUsed;
}

/** Returns the heap growth in bytes caused by `action`, read after a full GC on both sides. */
async function heapGrowth(action) {
  const before = await heapAfterGc();
  await action();
  return (await heapAfterGc()) - before;
}

/** Sends `requests` requests through the plugin over loopback and returns the heap growth. */
async function benchRequests(server, credentialsPath, { requests, concurrency, warmup }) {
  const plugin = createPluginClient(server, credentialsPath);
  const send = (count) => runPool(count, concurrency, () => plugin.api.get('/api/items'));
  try {
    await send(warmup);
    return { bytes: await heapGrowth(() => send(requests)), requests };
  } finally {
    plugin.close();
  }
}

function countInterceptors(manager) {
  let count = 0;
  manager.forEach(() => count++);
  return count;
}

/**
 * Attaches and detaches the plugin `cycles` times on one instance that already has a request
 * interceptor of its own, with one request per cycle.
 */
async function benchAttachDetach(credentialsPath, { cycles }) {
  const api = axios.create({ baseURL: 'http://127.0.0.1:1', adapter: noopAdapter });
  api.interceptors.request.use((config) => config);
  const credentials = JSON.parse(readFileSync(credentialsPath, 'utf8'));
  const interceptors = () => ({
    request: countInterceptors(api.interceptors.request),
    response: countInterceptors(api.interceptors.response),
  });
  const baseline = interceptors();

  const cycle = async () => {
    const auth = attachVendastaAuth(api, { credentials, scopes: SCOPES, tokenUri: credentials.token_uri });
    await api.get('/public', { vendastaAuth: false });
    auth.detach();
  };
  for (let index = 0; index < Math.min(100, cycles); index++) await cycle();
  const bytes = await heapGrowth(async () => {
    for (let index = 0; index < cycles; index++) await cycle();
  });
  return { bytes, baseline, after: interceptors(), cycles };
}

process.once('message', async ({ url, credentialsPath, counts }) => {
  const server = { url };
  const requests = await benchRequests(server, credentialsPath, counts.requests);
  const attach = await benchAttachDetach(credentialsPath, counts.attach);
  process.send({ requests, attach });
  process.disconnect();
});

// The axios instances that the benchmark compares: the plugin, bare axios with a static
// Authorization header, and the hand-written alternatives.
import { Agent } from 'node:http';

import axios from 'axios';
import createAuthRefreshInterceptor from 'axios-auth-refresh';

import { importDist } from './dist.js';
import { attachHandRolled, attachWithAuthRefresh, createTokenFetcher } from './hand-rolled.js';

const { attachVendastaAuth } = await importDist('index.js');

export const SCOPES = ['profile', 'email'];

/**
 * Sockets per instance. Every compared instance gets its own agent with this limit, so 10,000
 * concurrent requests queue in the agent instead of opening 10,000 sockets.
 */
const MAX_SOCKETS = 128;
/** Bounds every request, so that a stuck server fails the run instead of hanging it. */
const REQUEST_TIMEOUT_MS = 30_000;

/** Resolves at once without any I/O: an axios adapter that times the interceptors alone. */
export function noopAdapter(config) {
  return Promise.resolve({ data: '', status: 200, statusText: 'OK', headers: {}, config, request: {} });
}

function createInstance(baseURL, adapter, headers) {
  const httpAgent = new Agent({ keepAlive: true, maxSockets: MAX_SOCKETS });
  const config = { baseURL, httpAgent, headers, timeout: REQUEST_TIMEOUT_MS };
  return axios.create(adapter === undefined ? config : { ...config, adapter });
}

/**
 * Returns an axios instance with the plugin attached. `beforeAttach(api)` may register
 * interceptors that must come before the plugin's.
 */
export function createPluginClient(server, credentialsPath, { adapter, options, beforeAttach } = {}) {
  const api = createInstance(server.url, adapter);
  beforeAttach?.(api);
  const auth = attachVendastaAuth(api, { credentials: credentialsPath, scopes: SCOPES, ...options });
  return { api, auth, close: () => closeInstance(api, auth) };
}

/** Returns bare axios that sends `token` as a static Authorization header. */
export function createStaticClient(server, token, { adapter } = {}) {
  const api = createInstance(server.url, adapter, { Authorization: `Bearer ${token}` });
  return { api, close: () => closeInstance(api) };
}

/** Returns axios with the hand-written jose interceptor, its token already cached. */
export async function createHandRolledClient(server, credentialsPath, { adapter } = {}) {
  const api = createInstance(server.url, adapter);
  const fetchToken = createTokenFetcher(credentialsPath, SCOPES);
  const state = attachHandRolled(api, fetchToken);
  state.token = await fetchToken();
  return { api, close: () => closeInstance(api) };
}

/** Returns axios with the hand-written interceptor and axios-auth-refresh, token cached. */
export async function createAuthRefreshClient(server, credentialsPath, { adapter } = {}) {
  const api = createInstance(server.url, adapter);
  const fetchToken = createTokenFetcher(credentialsPath, SCOPES);
  const state = attachWithAuthRefresh(api, fetchToken, createAuthRefreshInterceptor);
  state.token = await fetchToken();
  return { api, close: () => closeInstance(api) };
}

function closeInstance(api, auth) {
  auth?.detach();
  api.defaults.httpAgent.destroy();
}

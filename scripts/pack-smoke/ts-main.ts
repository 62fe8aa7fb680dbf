// Type-checks with `tsc --strict` against the installed declarations, including the per-request
// `vendastaAuth` option that the package adds to axios' request config by module augmentation.
import assert from 'node:assert/strict';

import axios, { type AxiosRequestConfig } from 'axios';
import {
  attachVendastaAuth,
  isVendastaAuthError,
  type VendastaAuth,
  type VendastaAuthEvents,
  type VendastaAuthOptions,
} from 'vendasta-axios-auth';
import { startTokenServer, type LocalTokenServer } from 'vendasta-axios-auth/testing';

const server: LocalTokenServer = await startTokenServer();
try {
  const { path } = await server.createCredentials();
  const options: VendastaAuthOptions = { credentials: path, scopes: ['profile'], retry: { retries: 1 } };
  const api = axios.create({ baseURL: server.url });
  const auth: VendastaAuth = attachVendastaAuth(api, options);

  const successes: Array<VendastaAuthEvents['token:success']> = [];
  auth.events.on('token:success', (event) => successes.push(event));
  const adminConfig: AxiosRequestConfig = { vendastaAuth: { scopes: ['admin'] } };

  assert.equal((await api.get('/api/items/1')).status, 200);
  assert.equal((await api.get('/api/items/2', adminConfig)).status, 200);
  const skipped = await api.get('/api/items/3', { vendastaAuth: false, validateStatus: () => true });
  assert.equal(skipped.status, 401);
  assert.equal(successes.length, 2);
  const token: string = await auth.getAccessToken('profile');
  assert.ok(token.length > 0);
  auth.detach();

  try {
    attachVendastaAuth(axios.create(), { credentials: '{"type":"user"}', scopes: 'profile' });
    assert.fail('attach accepted invalid credentials');
  } catch (error) {
    assert.ok(isVendastaAuthError(error));
    assert.equal(error.code, 'ERR_CREDENTIALS_INVALID');
  }
} finally {
  await server.close();
}
console.log('typescript: ok');

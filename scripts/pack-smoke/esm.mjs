// Loads the installed package with `import`, authorizes requests against the local token server,
// and runs the installed vendasta-auth command.
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';
import { promisify } from 'node:util';

import axios from 'axios';
import { attachVendastaAuth, CredentialsError, isVendastaAuthError } from 'vendasta-axios-auth';
import { RedisTokenStore } from 'vendasta-axios-auth/redis';
import { startTokenServer } from 'vendasta-axios-auth/testing';

// The Redis entry loads without the optional redis peer dependency.
assert.equal(typeof RedisTokenStore, 'function');

const server = await startTokenServer();
try {
  const { path } = await server.createCredentials({ alg: 'ES256' });
  const api = axios.create({ baseURL: server.url });
  const auth = attachVendastaAuth(api, { credentials: path, scopes: ['profile'] });

  assert.equal((await api.get('/api/items/1')).status, 200);
  const anonymous = await api.get('/api/items/2', { vendastaAuth: false, validateStatus: () => true });
  assert.equal(anonymous.status, 401);
  assert.equal((await api.get('/api/items/3', { vendastaAuth: { scopes: ['admin'] } })).status, 200);
  assert.equal(server.tokenRequests, 2);
  auth.detach();

  assert.throws(() => attachVendastaAuth(axios.create(), { credentials: '/nonexistent.json', scopes: 'x' }), (error) => {
    return error instanceof CredentialsError && isVendastaAuthError(error) && error.code === 'ERR_CREDENTIALS_NOT_FOUND';
  });

  // npm makes the bin target executable on install, whatever mode the tarball stored.
  const require = createRequire(import.meta.url);
  const cliPath = require.resolve('vendasta-axios-auth/package.json').replace(/package\.json$/, 'dist/cli.js');
  assert.ok((statSync(cliPath).mode & 0o111) !== 0, `${cliPath} is not executable`);

  // Asynchronous, because the token server runs in this process and must keep responding.
  const runBin = promisify(execFile).bind(null, new URL('../node_modules/.bin/vendasta-auth', import.meta.url).pathname);
  const version = (await runBin(['--version'])).stdout.trim();
  assert.equal(version, require('vendasta-axios-auth/package.json').version);
  const token = (await runBin(['token', path, 'profile'])).stdout.trim();
  const viaCli = await axios.get(`${server.url}/oauth2/user-info`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(viaCli.status, 200);
  await runBin(['check', path, '--online', '--scope', 'profile']);
} finally {
  await server.close();
}
console.log('esm: ok');

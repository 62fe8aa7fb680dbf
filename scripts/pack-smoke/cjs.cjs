// Loads the installed ES module package with require(), which Node 20.19 and 22.12 or later
// support without flags, and authorizes requests against the local token server.
const assert = require('node:assert/strict');

const axios = require('axios');
const { attachVendastaAuth, VendastaAuthError } = require('vendasta-axios-auth');
const { RedisTokenStore } = require('vendasta-axios-auth/redis');
const { startTokenServer } = require('vendasta-axios-auth/testing');

assert.equal(typeof RedisTokenStore, 'function');

async function main() {
  const server = await startTokenServer();
  try {
    const { path } = await server.createCredentials({ alg: 'RS256', pkcs8: true });
    const api = axios.create({ baseURL: server.url });
    const auth = attachVendastaAuth(api, { credentials: path, scopes: 'profile email' });

    assert.equal((await api.get('/oauth2/user-info')).status, 200);
    server.revokeAll();
    assert.equal((await api.get('/api/after-revoke')).status, 200);
    assert.equal(server.tokenRequests, 2);
    assert.throws(() => attachVendastaAuth(api, { credentials: path, scopes: 'profile' }), VendastaAuthError);
    auth.detach();
  } finally {
    await server.close();
  }
  console.log('cjs: ok');
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

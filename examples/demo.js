// Demo worker: starts the bundled local token server, attaches the plugin to an axios instance,
// makes 500 concurrent calls, revokes the token, makes 500 more, and prints a summary.
// Run it with `npm run demo` after `npm ci`.
import axios from 'axios';

import { attachVendastaAuth } from '../dist/index.js';
import { startTokenServer } from '../dist/testing/index.js';

const CALLS_PER_ROUND = 500;

const server = await startTokenServer();
const { path } = await server.createCredentials({ alg: 'RS256' });

const api = axios.create({ baseURL: server.url });
const auth = attachVendastaAuth(api, { credentials: path, scopes: ['profile', 'email'] });

const eventCounts = {};
auth.events.on('*', (type) => {
  eventCounts[type] = (eventCounts[type] ?? 0) + 1;
});

async function round(label) {
  const results = await Promise.allSettled(
    Array.from({ length: CALLS_PER_ROUND }, (_, index) => api.get(`/api/items/${index}`)),
  );
  const succeeded = results.filter((result) => result.status === 'fulfilled').length;
  console.log(`${label}: ${succeeded}/${CALLS_PER_ROUND} calls succeeded`);
  return succeeded;
}

let succeeded = 0;
try {
  succeeded += await round('round 1 (cold cache)');
  server.revokeAll();
  console.log('revoked every token on the server');
  succeeded += await round('round 2 (after revocation)');
} finally {
  auth.detach();
  await server.close();
}

console.log('');
console.log(`calls succeeded: ${succeeded}/${2 * CALLS_PER_ROUND}`);
console.log(`token requests:  ${server.tokenRequests} (expected 2)`);
console.log(`events seen:     ${Object.entries(eventCounts).map(([type, count]) => `${type} ${count}`).join(', ')}`);

if (succeeded !== 2 * CALLS_PER_ROUND || server.tokenRequests !== 2) process.exitCode = 1;

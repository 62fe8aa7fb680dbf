// Assertion signing cost per algorithm, with the key parsed once as the plugin does.
import { importDist } from '../lib/dist.js';
import { interleave, median, nowMs } from '../lib/stats.js';
import { SCOPES } from '../lib/clients.js';

const { loadServiceAccount } = await importDist('index.js');
const { signAssertion } = await importDist('assertion.js');

async function timeSigning(account, count) {
  const started = nowMs();
  for (let index = 0; index < count; index++) {
    await signAssertion(account, { scopes: SCOPES, lifetimeSeconds: 300, nowMs: Date.now() });
  }
  return ((nowMs() - started) * 1000) / count;
}

/** Returns microseconds per assertion for RS256 (RSA 2048) and ES256 (P-256). */
export async function benchSigning(server, counts) {
  const rs256 = loadServiceAccount((await server.createCredentials('RS256')).path);
  const es256 = loadServiceAccount((await server.createCredentials('ES256')).path);
  const { rounds, rs256Count, es256Count } = counts;

  await timeSigning(rs256, Math.ceil(rs256Count / 4));
  await timeSigning(es256, Math.ceil(es256Count / 4));
  const [rsUs, esUs] = await interleave(rounds, [
    () => timeSigning(rs256, rs256Count),
    () => timeSigning(es256, es256Count),
  ]);
  return { rs256Us: median(rsUs), es256Us: median(esUs) };
}

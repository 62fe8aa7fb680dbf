import { createPublicKey } from 'node:crypto';

import { decodeProtectedHeader, jwtVerify } from 'jose';

import { signAssertion } from '../lib/assertion.js';
import { loadServiceAccount } from '../lib/credentials.js';
import { generateCredentials } from '../lib/testing/index.js';

const tokenUri = 'http://127.0.0.1:9/oauth2/token';
const audience = 'https://iam.example.test';

describe.each(['RS256', 'ES256'] as const)('signAssertion %s', (alg) => {
  const generated = generateCredentials({ alg, tokenUri, audience });
  const account = loadServiceAccount(generated.credentials);

  test('verifies with the public key', async () => {
    const nowMs = Date.now();
    const assertion = await signAssertion(account, { scopes: ['email', 'profile'], lifetimeSeconds: 300, nowMs });
    const publicKey = createPublicKey(account.privateKey);
    const { payload, protectedHeader } = await jwtVerify(assertion, publicKey, {
      algorithms: [alg],
      audience,
      issuer: generated.credentials.client_email,
      subject: generated.credentials.client_email,
    });
    expect(protectedHeader.alg).toBe(alg);
    expect(protectedHeader.kid).toBe(generated.credentials.assertionHeaderData.kid);
    expect(payload.scope).toBe('email profile');
    expect(payload.iat).toBe(Math.floor(nowMs / 1000));
    expect(payload.exp).toBe(Math.floor(nowMs / 1000) + 300);
    expect(typeof payload.jti).toBe('string');
  });

  test('caps the lifetime at 600 seconds', async () => {
    const assertion = await signAssertion(account, { scopes: ['a'], lifetimeSeconds: 3600, nowMs: 1_700_000_000_999 });
    const { payload } = await jwtVerify(assertion, createPublicKey(account.privateKey), {
      currentDate: new Date(1_700_000_000_000),
    });
    expect(payload.iat).toBe(1_700_000_000);
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(600);
  });

  test('new jti on every call', async () => {
    const ids = new Set<unknown>();
    for (let index = 0; index < 20; index++) {
      const assertion = await signAssertion(account, { scopes: ['a'], lifetimeSeconds: 60, nowMs: Date.now() });
      const { payload } = await jwtVerify(assertion, createPublicKey(account.privateKey));
      ids.add(payload.jti);
      expect(decodeProtectedHeader(assertion).typ).toBe('JWT');
    }
    expect(ids.size).toBe(20);
  });
});

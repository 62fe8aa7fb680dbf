import { createPublicKey } from 'node:crypto';

import { decodeProtectedHeader, jwtVerify } from 'jose';

import { ASSERTION_BACKDATE_SECONDS, signAssertion } from '../lib/assertion.js';
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
    expect(payload.iat).toBe(Math.floor(nowMs / 1000) - ASSERTION_BACKDATE_SECONDS);
    expect(payload.exp).toBe(Math.floor(nowMs / 1000) - ASSERTION_BACKDATE_SECONDS + 300);
    expect(typeof payload.jti).toBe('string');
  });

  test('caps the lifetime at 600 seconds', async () => {
    const assertion = await signAssertion(account, { scopes: ['a'], lifetimeSeconds: 3600, nowMs: 1_700_000_000_999 });
    const { payload } = await jwtVerify(assertion, createPublicKey(account.privateKey), {
      currentDate: new Date(1_700_000_000_000),
    });
    expect(payload.iat).toBe(1_700_000_000 - ASSERTION_BACKDATE_SECONDS);
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(600);
  });

  test('backdates iat by at most a quarter of the lifetime', async () => {
    const nowMs = 1_700_000_000_000;
    const assertion = await signAssertion(account, { scopes: ['a'], lifetimeSeconds: 40, nowMs });
    const { payload } = await jwtVerify(assertion, createPublicKey(account.privateKey), {
      currentDate: new Date(nowMs),
    });
    expect(payload.iat).toBe(1_700_000_000 - 10);
    expect(payload.exp).toBe(1_700_000_000 + 30);
  });

  test('signs with the time it is given', async () => {
    const skewedMs = Date.now() + 3_600_000;
    const assertion = await signAssertion(account, { scopes: ['a'], lifetimeSeconds: 300, nowMs: skewedMs });
    const { payload } = await jwtVerify(assertion, createPublicKey(account.privateKey), {
      currentDate: new Date(skewedMs),
    });
    expect(payload.exp).toBe(Math.floor(skewedMs / 1000) - ASSERTION_BACKDATE_SECONDS + 300);
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

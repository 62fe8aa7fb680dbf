// The baseline for the plugin's hot path: a token interceptor as people typically write it by hand
// with jose and axios. It keeps a module-level cached token and refreshes it when it is about to
// expire, with no single-flight, no host check and no 401 retry.
import { createPrivateKey, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

import axios from 'axios';
import { SignJWT } from 'jose';

const EXPIRY_MARGIN_MS = 60_000;

/** Returns a function that signs an assertion with jose and exchanges it for a token. */
export function createTokenFetcher(credentialsPath, scopes) {
  const credentials = JSON.parse(readFileSync(credentialsPath, 'utf8'));
  const key = createPrivateKey(credentials.private_key);
  const { alg, kid } = credentials.assertionHeaderData;
  const { aud, iss, sub } = credentials.assertionPayloadData;

  return async function fetchToken() {
    const assertion = await new SignJWT({ scope: scopes.join(' ') })
      .setProtectedHeader({ alg, kid })
      .setIssuer(iss)
      .setSubject(sub)
      .setAudience(aud)
      .setIssuedAt()
      .setExpirationTime('5m')
      .setJti(randomUUID())
      .sign(key);
    const form = new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion,
    });
    const { data } = await axios.post(credentials.token_uri, form);
    return { accessToken: data.access_token, expiresAt: Date.now() + data.expires_in * 1000 };
  };
}

/** Adds the hand-written request interceptor to `instance`. Returns a handle to its cache. */
export function attachHandRolled(instance, fetchToken) {
  const state = { token: undefined };
  instance.interceptors.request.use(async (config) => {
    if (state.token === undefined || Date.now() > state.token.expiresAt - EXPIRY_MARGIN_MS) {
      state.token = await fetchToken();
    }
    config.headers.Authorization = `Bearer ${state.token.accessToken}`;
    return config;
  });
  return state;
}

/**
 * Adds the same request interceptor plus axios-auth-refresh, which fetches a new token with the
 * same fetcher when a response is 401 and replays the request.
 */
export function attachWithAuthRefresh(instance, fetchToken, createAuthRefreshInterceptor) {
  const state = attachHandRolled(instance, fetchToken);
  createAuthRefreshInterceptor(instance, async (failed) => {
    state.token = await fetchToken();
    failed.response.config.headers.Authorization = `Bearer ${state.token.accessToken}`;
  });
  return state;
}

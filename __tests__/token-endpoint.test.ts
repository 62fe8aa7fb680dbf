import { inspect } from 'node:util';

import { TokenRequestError, VendastaAuthError, type VendastaAuthOptions } from '../lib/index.js';
import { startTokenServer, type LocalTokenServer } from '../lib/testing/index.js';
import { attachRecorded, FAST_RETRY, rejectionOf, settleAll, sleep, waitForQuiet, type Attached } from './helpers/auth.js';

let server: LocalTokenServer;
let credentialsPath: string;
let current: Attached | undefined;

beforeAll(async () => {
  server = await startTokenServer();
  credentialsPath = (await server.createCredentials({ alg: 'RS256' })).path;
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  server.clearFaults();
  server.resetCounters();
  server.tokenLifetimeSeconds = 3600;
});

afterEach(async () => {
  current?.auth.detach();
  current = undefined;
  await waitForQuiet(server);
});

function attach(options: Partial<VendastaAuthOptions> = {}): Attached {
  current = attachRecorded(server.url, {
    credentials: credentialsPath,
    scopes: ['profile'],
    retry: FAST_RETRY,
    cooldownMs: 0,
    timeoutMs: 5000,
    ...options,
  });
  return current;
}

function expectTokenError(error: unknown, code: string): TokenRequestError {
  expect(error).toBeInstanceOf(TokenRequestError);
  expect((error as TokenRequestError).code).toBe(code);
  return error as TokenRequestError;
}

describe('token request retries', () => {
  test.each([408, 429, 500, 502, 503, 504])('retries HTTP %i once, then succeeds', async (status) => {
    const { auth, ofType } = attach();
    server.injectFaults({ status });
    const token = await auth.getAccessToken();
    expect(token.length).toBeGreaterThan(20);
    expect(server.tokenRequests).toBe(2);
    const errors = ofType('token:error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.willRetry).toBe(true);
    expect((errors[0]!.error as TokenRequestError).status).toBe(status);
    expect(ofType('token:success')[0]!.attempts).toBe(2);
  });

  test('retries a reset connection', async () => {
    const { auth } = attach();
    server.injectFaults({ destroySocket: true });
    await auth.getAccessToken();
    expect(server.tokenRequests).toBe(2);
  });

  test('retries an attempt that timed out', async () => {
    const { auth, ofType } = attach({ attemptTimeoutMs: 200 });
    server.injectFaults({ hang: true });
    await auth.getAccessToken();
    expect(server.tokenRequests).toBe(2);
    expect(ofType('token:error')[0]!.error.message).toMatch(/timed out/);
  });

  test('retries a refused connection, then gives up', async () => {
    const closed = await startTokenServer();
    const tokenUri = closed.tokenUri;
    await closed.close();
    const { auth, ofType } = attach({ tokenUri });
    const error = expectTokenError(await rejectionOf(auth.getAccessToken()), 'ERR_TOKEN_REQUEST_FAILED');
    expect(error.attempts).toBe(4);
    expect(error.status).toBeUndefined();
    expect(error.message).toMatch(/ECONNREFUSED/);
    expect(ofType('token:request')).toHaveLength(4);
    expect(ofType('token:error').map((event) => event.willRetry)).toEqual([true, true, true, false]);
  });

  test('gives up after the configured retries', async () => {
    const { auth } = attach();
    server.injectFaults(...Array.from({ length: 6 }, () => ({ status: 503 })));
    const error = expectTokenError(await rejectionOf(auth.getAccessToken()), 'ERR_TOKEN_REQUEST_FAILED');
    expect(error.status).toBe(503);
    expect(error.attempts).toBe(4);
    expect(error.message).toMatch(/answered HTTP 503/);
    expect(server.tokenRequests).toBe(4);
  });

  test('retry false makes one attempt', async () => {
    const { auth } = attach({ retry: false });
    server.injectFaults({ status: 503 });
    const error = expectTokenError(await rejectionOf(auth.getAccessToken()), 'ERR_TOKEN_REQUEST_FAILED');
    expect(error.attempts).toBe(1);
    expect(server.tokenRequests).toBe(1);
  });

  test('retries a transient OAuth error', async () => {
    const { auth } = attach();
    server.injectFaults({ status: 400, body: { error: 'temporarily_unavailable' } });
    await auth.getAccessToken();
    expect(server.tokenRequests).toBe(2);
  });
});

describe('permanent failures fail fast', () => {
  test.each([
    [400, 'invalid_grant', 'ERR_OAUTH_INVALID_GRANT', /key is active/],
    [401, 'invalid_client', 'ERR_OAUTH_INVALID_CLIENT', /download a current key/],
    [400, 'unauthorized_client', 'ERR_OAUTH_UNAUTHORIZED_CLIENT', /permissions/],
    [400, 'invalid_scope', 'ERR_OAUTH_INVALID_SCOPE', /scopes that this service account/],
    [400, 'invalid_request', 'ERR_OAUTH_INVALID_REQUEST', /token endpoint URL/],
    [400, 'unsupported_grant_type', 'ERR_OAUTH_UNSUPPORTED_GRANT_TYPE', /token endpoint URL/],
    [403, 'access_denied', 'ERR_OAUTH_ERROR', /token endpoint URL/],
  ])('HTTP %i %s', async (status, oauthError, code, advice) => {
    const { auth, ofType } = attach();
    server.injectFaults({ status, body: { error: oauthError, error_description: 'told by the test' } });
    const error = expectTokenError(await rejectionOf(auth.getAccessToken()), code);
    expect(error.status).toBe(status);
    expect(error.oauthError).toBe(oauthError);
    expect(error.oauthErrorDescription).toBe('told by the test');
    expect(error.attempts).toBe(1);
    expect(error.message).toContain(`rejected the request with ${oauthError} (HTTP ${status}): told by the test.`);
    expect(error.message).toMatch(advice);
    expect(server.tokenRequests).toBe(1);
    expect(ofType('token:error')[0]!.willRetry).toBe(false);
  });

  test.each([400, 401, 403, 404, 501])('HTTP %i without an OAuth body', async (status) => {
    const { auth } = attach();
    server.injectFaults({ status, body: '<html><body>Nope</body></html>' });
    const error = expectTokenError(await rejectionOf(auth.getAccessToken()), 'ERR_TOKEN_REQUEST_FAILED');
    expect(error.status).toBe(status);
    expect(error.message).toMatch(new RegExp(`answered HTTP ${status} with a body that is an HTML page`));
    expect(error.message).toMatch(/not retried/);
    expect(server.tokenRequests).toBe(1);
  });

  test('a redirect is not followed', async () => {
    const { auth } = attach();
    server.injectFaults({ status: 302, headers: { Location: 'https://iam.example.com/token' } });
    const error = expectTokenError(await rejectionOf(auth.getAccessToken()), 'ERR_TOKEN_REQUEST_FAILED');
    expect(error.message).toMatch(/redirects \(https:\/\/iam\.example\.com\/token\).*set `tokenUri` to the final URL/);
    expect(server.tokenRequests).toBe(1);
  });

  test('an OAuth error in a 200 body', async () => {
    const { auth } = attach();
    server.injectFaults({ status: 200, body: { error: 'invalid_grant' } });
    expectTokenError(await rejectionOf(auth.getAccessToken()), 'ERR_OAUTH_INVALID_GRANT');
    expect(server.tokenRequests).toBe(1);
  });

  test('an echoed assertion is masked', async () => {
    const { auth } = attach();
    const echoed = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    server.injectFaults({ status: 400, body: { error: 'invalid_grant', error_description: `bad assertion ${echoed}` } });
    const error = expectTokenError(await rejectionOf(auth.getAccessToken()), 'ERR_OAUTH_INVALID_GRANT');
    expect(error.oauthErrorDescription).toBe('bad assertion [REDACTED]');
    expect(error.message).not.toContain(echoed);
    expect(inspect(error, { depth: 10, showHidden: true })).not.toContain(echoed);
  });
});

describe('kept response body', () => {
  test.each([
    ['form-encoded 200', 200, 'access_token=SECRET-form-token&expires_in=3600'],
    ['JSON 400 with a token field', 400, { error: 'invalid_request', token: 'SECRET-json-token' }],
    ['form 400 with client_secret', 400, 'error=invalid_client&client_secret=SECRET-form-secret'],
    ['plain-text 200 with only a token', 200, 'SECRET-opaque-token-value'],
  ])('%s hides the token', async (_name, status, body) => {
    const { auth, ofType } = attach({ retry: false });
    server.injectFaults({ status, body, headers: { 'X-Echo': 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.SECRET-signature' } });
    const error = (await rejectionOf(auth.getAccessToken())) as TokenRequestError;
    expect(error).toBeInstanceOf(TokenRequestError);
    expect(JSON.stringify(error.response)).not.toContain('SECRET-');
    expect(inspect(ofType('token:error'), { depth: 10, showHidden: true })).not.toContain('SECRET-');
  });
});

describe('token response validation', () => {
  const invalid: Array<[string, number, string | object, RegExp]> = [
    ['HTML page', 200, '<!doctype html><title>Login</title>', /body is an HTML page \(text\/html; charset=utf-8\), not JSON/],
    ['plain text', 200, 'OK', /body is not a JSON object \(text\/plain/],
    ['empty body', 200, '', /body is empty/],
    ['JSON array', 200, [1, 2], /not a JSON object/],
    ['missing access_token', 200, { token_type: 'Bearer', expires_in: 60 }, /access_token is missing/],
    ['empty access_token', 200, { access_token: ' ', expires_in: 60 }, /access_token is empty or not a string/],
    ['numeric access_token', 200, { access_token: 12345, expires_in: 60 }, /access_token is empty or not a string/],
    ['token_type mac', 200, { access_token: 'abc', token_type: 'mac', expires_in: 60 }, /token_type is "mac", expected "Bearer"/],
    ['expires_in zero', 200, { access_token: 'abc', expires_in: 0 }, /expires_in is 0, so the token has already expired/],
    ['expires_in negative', 200, { access_token: 'abc', expires_in: -30 }, /expires_in is -30/],
    ['expires_in text', 200, { access_token: 'abc', expires_in: 'soon' }, /expires_in is the string "soon", expected a number/],
    ['expires_in object', 200, { access_token: 'abc', expires_in: {} }, /expires_in is an object/],
    ['expires_in boolean', 200, { access_token: 'abc', expires_in: true }, /expires_in is boolean true/],
    ['access_token with CRLF', 200, { access_token: 'abc def\r\nX-Injected: 1', expires_in: 60 }, /cannot be sent in a header/],
    ['access_token with non-ASCII', 200, { access_token: 'tökén', expires_in: 60 }, /cannot be sent in a header/],
    ['expires_in below a second', 200, { access_token: 'abc', expires_in: 0.001 }, /below the minimum of 1 s/],
    ['expired JWT without expires_in', 200, { access_token: jwtWithExp(Math.floor(Date.now() / 1000) - 120) }, /exp claim is \d+ s in the past/],
  ];

  test.each(invalid)('%s is ERR_TOKEN_RESPONSE_INVALID', async (_name, status, body, message) => {
    const { auth } = attach();
    server.injectFaults({ status, body });
    const error = expectTokenError(await rejectionOf(auth.getAccessToken()), 'ERR_TOKEN_RESPONSE_INVALID');
    expect(error.message).toMatch(message);
    expect(error.status).toBe(200);
    expect(server.tokenRequests).toBe(1);
  });

  // A body may be a function, so that a JWT's exp is computed when its test runs.
  const accepted: Array<[string, object | (() => object), number]> = [
    ['numeric string expires_in', { access_token: 'opaque-1', token_type: 'Bearer', expires_in: '1800' }, 1800],
    ['lower-case bearer', { access_token: 'opaque-2', token_type: 'bearer', expires_in: 900 }, 900],
    ['no token_type', { access_token: 'opaque-3', expires_in: 900 }, 900],
    ['absurd expires_in is clamped to 24 h', { access_token: 'opaque-4', expires_in: 10 ** 12 }, 86_400],
    ['no expires_in, JWT exp', () => ({ access_token: jwtWithExp(Math.floor(Date.now() / 1000) + 1200) }), 1200],
    ['no expires_in, opaque token', { access_token: 'opaque-5' }, 300],
    ['null expires_in', { access_token: 'opaque-6', expires_in: null }, 300],
  ];

  test.each(accepted)('%s', async (_name, body, lifetimeSeconds) => {
    const { auth, ofType } = attach();
    server.injectFaults({ status: 200, body: typeof body === 'function' ? body() : body });
    const before = Date.now();
    await auth.getAccessToken();
    const expiresAt = ofType('token:success')[0]!.expiresAt;
    expect(expiresAt - before).toBeGreaterThan((lifetimeSeconds - 5) * 1000);
    expect(expiresAt - before).toBeLessThanOrEqual((lifetimeSeconds + 5) * 1000);
    expect(server.tokenRequests).toBe(1);
  });

  test('short-lived tokens cause no refresh loop', async () => {
    server.tokenLifetimeSeconds = 4;
    const { auth } = attach({ expiryMarginSeconds: 60 });
    for (let index = 0; index < 30; index++) await auth.getAccessToken();
    expect(server.tokenRequests).toBe(1);
  });
});

describe('deadline and hangs', () => {
  test('every waiter of a hung fetch gets ERR_TOKEN_TIMEOUT', async () => {
    const { auth, instance } = attach({ timeoutMs: 400, attemptTimeoutMs: 60_000 });
    server.injectFaults({ hang: true });
    const started = performance.now();
    const outcomes = await settleAll([
      ...Array.from({ length: 40 }, () => auth.getAccessToken()),
      ...Array.from({ length: 40 }, () => instance.get('/api/x')),
    ]);
    expect(outcomes).toHaveLength(80);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      const error = expectTokenError((outcome as PromiseRejectedResult).reason, 'ERR_TOKEN_TIMEOUT');
      expect(error.message).toMatch(/timed out after 400 ms, retries included/);
    }
    expect(performance.now() - started).toBeGreaterThanOrEqual(350);
    expect(server.tokenRequests).toBe(1);
    expect(server.apiRequests).toBe(0);
  });

  test('deadline cuts retries short', async () => {
    const { auth } = attach({ timeoutMs: 300, retry: { retries: 10, minTimeoutMs: 100, maxTimeoutMs: 100 } });
    server.injectFaults(...Array.from({ length: 20 }, () => ({ status: 503 })));
    const error = await rejectionOf(auth.getAccessToken());
    expect(error).toBeInstanceOf(TokenRequestError);
    expect(['ERR_TOKEN_TIMEOUT', 'ERR_TOKEN_REQUEST_FAILED']).toContain((error as TokenRequestError).code);
    expect(server.tokenRequests).toBeLessThanOrEqual(6);
  });

  test('timeout cause names the hung attempt', async () => {
    const { auth } = attach({ timeoutMs: 300, attemptTimeoutMs: 60_000 });
    server.injectFaults({ hang: true });
    const error = expectTokenError(await rejectionOf(auth.getAccessToken()), 'ERR_TOKEN_TIMEOUT');
    expect((error.cause as Error).message).toMatch(/^Attempt 1 was still waiting for a response from .* when the deadline passed\.$/);
  });

  test('the next fetch after a timeout succeeds', async () => {
    const { auth } = attach({ timeoutMs: 300, attemptTimeoutMs: 60_000 });
    server.injectFaults({ hang: true });
    expectTokenError(await rejectionOf(auth.getAccessToken()), 'ERR_TOKEN_TIMEOUT');
    await auth.getAccessToken();
    expect(server.tokenRequests).toBe(2);
  });
});

describe('concurrent waiters', () => {
  test('share one fetch across retries', async () => {
    const { auth, instance } = attach();
    server.injectFaults({ status: 503 }, { status: 500 });
    const outcomes = await settleAll([
      ...Array.from({ length: 100 }, () => auth.getAccessToken()),
      ...Array.from({ length: 100 }, () => instance.get('/api/x')),
    ]);
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(200);
    const tokens = new Set(outcomes.slice(0, 100).map((outcome) => (outcome as PromiseFulfilledResult<string>).value));
    expect(tokens.size).toBe(1);
    expect(server.tokenRequests).toBe(3);
    expect(server.apiRequests).toBe(100);
  });

  test('all get the permanent error', async () => {
    const { auth } = attach();
    server.injectFaults({ status: 400, body: { error: 'invalid_grant' } });
    const outcomes = await settleAll(Array.from({ length: 100 }, () => auth.getAccessToken()));
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      expectTokenError((outcome as PromiseRejectedResult).reason, 'ERR_OAUTH_INVALID_GRANT');
    }
    expect(server.tokenRequests).toBe(1);
  });
});

describe('Retry-After', () => {
  function attemptGap(attached: Attached): number {
    const times = attached.events.filter((event) => event.type === 'token:request').map((event) => event.at);
    expect(times).toHaveLength(2);
    return times[1]! - times[0]!;
  }

  test('waits the seconds asked for', async () => {
    const attached = attach();
    server.injectFaults({ status: 503, headers: { 'Retry-After': '1' } });
    await attached.auth.getAccessToken();
    expect(attemptGap(attached)).toBeGreaterThanOrEqual(950);
    expect(server.tokenRequests).toBe(2);
  });

  test('waits until the HTTP date', async () => {
    const attached = attach();
    server.injectFaults({ status: 429, headers: { 'Retry-After': new Date(Date.now() + 2000).toUTCString() } });
    await attached.auth.getAccessToken();
    expect(attemptGap(attached)).toBeGreaterThanOrEqual(1400);
    expect(server.tokenRequests).toBe(2);
  });

  test('is capped by maxRetryAfterMs', async () => {
    const attached = attach({ retry: { ...FAST_RETRY, maxRetryAfterMs: 200 } });
    server.injectFaults({ status: 503, headers: { 'Retry-After': '3600' } });
    await attached.auth.getAccessToken();
    const gap = attemptGap(attached);
    expect(gap).toBeGreaterThanOrEqual(190);
    expect(gap).toBeLessThan(3000);
  });

  test('past the deadline fails at once', async () => {
    const { auth } = attach({ timeoutMs: 5000 });
    server.injectFaults({ status: 429, headers: { 'Retry-After': '120' } });
    const started = performance.now();
    const error = expectTokenError(await rejectionOf(auth.getAccessToken()), 'ERR_TOKEN_REQUEST_FAILED');
    expect(performance.now() - started).toBeLessThan(4000);
    expect(error.status).toBe(429);
    expect(error.retryAfterMs).toBe(120_000);
    expect(error.message).toMatch(/requested a wait of 60 s \(Retry-After\), past this fetch's deadline/);
    expect(server.tokenRequests).toBe(1);
  });
});

describe('cooldown', () => {
  test('fails fast after a permanent failure, then recovers', async () => {
    const { auth, instance } = attach({ cooldownMs: 600 });
    server.injectFaults({ status: 400, body: { error: 'invalid_grant' } });
    const first = expectTokenError(await rejectionOf(auth.getAccessToken()), 'ERR_OAUTH_INVALID_GRANT');
    expect(first.attempts).toBe(1);

    const outcomes = await settleAll([
      ...Array.from({ length: 50 }, () => auth.getAccessToken()),
      ...Array.from({ length: 50 }, () => instance.get('/api/x')),
    ]);
    for (const outcome of outcomes) {
      const error = expectTokenError((outcome as PromiseRejectedResult).reason, 'ERR_OAUTH_INVALID_GRANT');
      expect(error.attempts).toBe(0);
      expect(error.oauthError).toBe('invalid_grant');
      expect(error.message).toMatch(/No new token request is made for another \d+\.\d s/);
      expect(error.retryAfterMs).toBeGreaterThan(0);
    }
    expect(server.tokenRequests).toBe(1);
    expect(server.apiRequests).toBe(0);

    await sleep(700);
    expect((await instance.get('/api/x')).status).toBe(200);
    expect(server.tokenRequests).toBe(2);
  });

  test('honours Retry-After of a 429', async () => {
    const { auth } = attach({ retry: false, cooldownMs: 0 });
    server.injectFaults({ status: 429, headers: { 'Retry-After': '1' } });
    expectTokenError(await rejectionOf(auth.getAccessToken()), 'ERR_TOKEN_REQUEST_FAILED');
    const during = expectTokenError(await rejectionOf(auth.getAccessToken()), 'ERR_TOKEN_REQUEST_FAILED');
    expect(during.status).toBe(429);
    expect(during.attempts).toBe(0);
    expect(server.tokenRequests).toBe(1);

    await sleep(1100);
    await auth.getAccessToken();
    expect(server.tokenRequests).toBe(2);
  });

  test('reload() ends it', async () => {
    const { auth } = attach({ cooldownMs: 10_000 });
    server.injectFaults({ status: 401, body: { error: 'invalid_client' } });
    expectTokenError(await rejectionOf(auth.getAccessToken()), 'ERR_OAUTH_INVALID_CLIENT');
    expectTokenError(await rejectionOf(auth.getAccessToken()), 'ERR_OAUTH_INVALID_CLIENT');
    expect(server.tokenRequests).toBe(1);
    auth.reload();
    await auth.getAccessToken();
    expect(server.tokenRequests).toBe(2);
  });

  test('is kept per scope set', async () => {
    const { auth } = attach({ cooldownMs: 5000 });
    server.injectFaults({ status: 400, body: { error: 'invalid_scope' } });
    expectTokenError(await rejectionOf(auth.getAccessToken(['admin'])), 'ERR_OAUTH_INVALID_SCOPE');
    expectTokenError(await rejectionOf(auth.getAccessToken(['admin'])), 'ERR_OAUTH_INVALID_SCOPE');
    await auth.getAccessToken(['profile']);
    expect(server.tokenRequests).toBe(2);
  });

  test('a valid cached token keeps serving', async () => {
    server.tokenLifetimeSeconds = 4;
    const { instance, ofType } = attach({ cooldownMs: 10_000 });
    expect((await instance.get('/api/warm')).status).toBe(200);

    // Refresh-ahead starts within 1 to 1.5 s of a 4 s token; its failure starts the cooldown.
    server.injectFaults({ status: 400, body: { error: 'invalid_grant' } });
    await sleep(1600);
    expect((await instance.get('/api/a')).status).toBe(200);
    await sleep(100);
    expect(server.tokenRequests).toBe(2);
    for (let index = 0; index < 20; index++) expect((await instance.get('/api/b')).status).toBe(200);
    expect(server.tokenRequests).toBe(2);
    expect(ofType('token:error')[0]!.error.code).toBe('ERR_OAUTH_INVALID_GRANT');

    // Past the expiry margin (a quarter of 4 s) the cached token is stale and requests fail fast.
    await sleep(1600);
    const error = await rejectionOf(instance.get('/api/c'));
    expectTokenError(error, 'ERR_OAUTH_INVALID_GRANT');
    expect(server.tokenRequests).toBe(2);
  });

  test('bounded load on a 503 endpoint stays within the backoff schedule', async () => {
    const retry = { retries: 2, minTimeoutMs: 50, maxTimeoutMs: 200 };
    const cooldownMs = 400;
    const { auth } = attach({ retry, cooldownMs });
    server.injectFaults(...Array.from({ length: 1000 }, () => ({ status: 503 })));

    const started = performance.now();
    const calls: Array<Promise<unknown>> = [];
    while (performance.now() - started < 1000 && calls.length < 400) {
      for (let index = 0; index < 4; index++) calls.push(auth.getAccessToken());
      await sleep(10);
    }
    const outcomes = await settleAll(calls);
    const elapsed = performance.now() - started;

    expect(calls.length).toBeGreaterThanOrEqual(100);
    expect(outcomes.every((outcome) => outcome.status === 'rejected')).toBe(true);
    for (const outcome of outcomes) {
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(VendastaAuthError);
    }
    // A fetch makes 3 attempts with retry waits of at least 25 and 50 ms (half the nominal
    // delays), and is followed by a cooldown of 400 ms, so 3 requests take at least 475 ms.
    const bound = 3 * (Math.ceil(elapsed / 475) + 1);
    expect(server.tokenRequests).toBeGreaterThanOrEqual(3);
    expect(server.tokenRequests).toBeLessThanOrEqual(bound);

    server.clearFaults();
    await sleep(cooldownMs + 50);
    await auth.getAccessToken();
  });
});

/** Builds an unsigned JWT-shaped token with an `exp` claim, which the client reads without verifying. */
function jwtWithExp(exp: number): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none' })}.${part({ exp })}.c2ln`;
}

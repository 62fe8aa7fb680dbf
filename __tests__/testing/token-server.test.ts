import { createHash, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { SignJWT } from 'jose';

import {
  generateCredentials,
  JWT_BEARER_GRANT_TYPE,
  startTokenServer,
  type LocalTokenServer,
  type ServiceAccountCredentials,
  type TokenServerOptions,
} from '../../lib/testing/index.js';

type Claims = Record<string, unknown>;

const nowSeconds = (offsetMs = 0): number => Math.floor((Date.now() + offsetMs) / 1000);

function validClaims(credentials: ServiceAccountCredentials, offsetMs = 0): Claims {
  const iat = nowSeconds(offsetMs);
  return {
    aud: credentials.assertionPayloadData.aud,
    iss: credentials.assertionPayloadData.iss,
    sub: credentials.assertionPayloadData.sub,
    iat,
    exp: iat + 300,
    scope: 'business:read business:write',
  };
}

/** Returns valid claims with iat and exp at the given offsets from now, in seconds. */
function timedClaims(
  credentials: ServiceAccountCredentials,
  iatOffsetSeconds: number,
  expOffsetSeconds: number,
): Claims {
  const now = nowSeconds();
  return { ...validClaims(credentials), iat: now + iatOffsetSeconds, exp: now + expOffsetSeconds };
}

async function signAssertion(
  credentials: ServiceAccountCredentials,
  claims: Claims,
  header: { alg?: string; kid?: string } = {},
  privateKeyPem = credentials.private_key,
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ ...credentials.assertionHeaderData, ...header })
    .sign(createPrivateKey(privateKeyPem));
}

function postToken(
  server: LocalTokenServer,
  form: Record<string, string>,
  contentType = 'application/x-www-form-urlencoded',
): Promise<Response> {
  return fetch(server.tokenUri, {
    method: 'POST',
    headers: { 'Content-Type': contentType },
    body: new URLSearchParams(form).toString(),
  });
}

function requestWithAssertion(server: LocalTokenServer, assertion: string): Promise<Response> {
  return postToken(server, { grant_type: JWT_BEARER_GRANT_TYPE, assertion });
}

async function issueToken(
  server: LocalTokenServer,
  credentials: ServiceAccountCredentials,
): Promise<string> {
  const response = await requestWithAssertion(
    server,
    await signAssertion(credentials, validClaims(credentials, server.clockOffsetMs)),
  );
  const body = (await response.json()) as { access_token: string };
  return body.access_token;
}

function callApi(server: LocalTokenServer, path: string, token?: string, init: RequestInit = {}) {
  const headers: Record<string, string> = {};
  if (token !== undefined) {
    headers.Authorization = `Bearer ${token}`;
  }
  return fetch(`${server.url}${path}`, { ...init, headers });
}

let server: LocalTokenServer;
let credentials: ServiceAccountCredentials;

async function startWith(options: TokenServerOptions): Promise<void> {
  await server.close();
  server = await startTokenServer(options);
  credentials = (await server.createCredentials()).credentials;
}

beforeEach(async () => {
  server = await startTokenServer();
  credentials = (await server.createCredentials()).credentials;
});

afterEach(async () => {
  await server.close();
});

describe('token exchange', () => {
  it.each(['RS256', 'ES256'] as const)('issues %s token', async (alg) => {
    const { credentials: algCredentials } = await server.createCredentials({ alg });
    const assertion = await signAssertion(algCredentials, validClaims(algCredentials));

    const response = await requestWithAssertion(server, assertion);
    const body = (await response.json()) as Record<string, unknown>;

    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(body.token_type).toBe('Bearer');
    expect(body.expires_in).toBe(3600);
    expect(body.access_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it.each(['RS256', 'ES256'] as const)('%s token works on API routes', async (alg) => {
    const { credentials: algCredentials } = await server.createCredentials({ alg });
    const token = await issueToken(server, algCredentials);

    const api = await callApi(server, '/api/x', token);
    const apiBody = (await api.json()) as Record<string, unknown>;
    const userInfo = await callApi(server, '/oauth2/user-info', token);
    const userInfoBody = (await userInfo.json()) as Record<string, unknown>;

    expect(api.status).toBe(200);
    expect(apiBody.ok).toBe(true);
    expect(apiBody.path).toBe('/api/x');
    expect(apiBody.method).toBe('GET');
    expect(userInfo.status).toBe(200);
    expect(userInfoBody.sub).toBe(algCredentials.client_email);
    expect(userInfoBody.scopes).toEqual(['business:read', 'business:write']);
  });

  it('accepts iat within tolerance', async () => {
    const claims = timedClaims(credentials, 20, 300);
    const response = await requestWithAssertion(server, await signAssertion(credentials, claims));
    expect(response.status).toBe(200);
  });

  it('uses configured token lifetime', async () => {
    await startWith({ tokenLifetimeSeconds: 120 });
    const response = await requestWithAssertion(
      server,
      await signAssertion(credentials, validClaims(credentials)),
    );
    const body = (await response.json()) as Record<string, unknown>;
    expect(body.expires_in).toBe(120);
  });

  it('uses configured audience', async () => {
    await startWith({ audience: 'https://sso-api-prod.apigateway.co' });
    expect(server.audience).toBe('https://sso-api-prod.apigateway.co');
    expect(credentials.assertionPayloadData.aud).toBe('https://sso-api-prod.apigateway.co');
    const response = await requestWithAssertion(
      server,
      await signAssertion(credentials, validClaims(credentials)),
    );
    expect(response.status).toBe(200);
  });

  it('trusts key from registerKey', async () => {
    const generated = generateCredentials({
      alg: 'ES256',
      tokenUri: server.tokenUri,
      audience: server.audience,
    });
    server.registerKey(
      generated.credentials.private_key_id,
      generated.publicKey,
      generated.credentials.client_email,
    );
    const claims = validClaims(generated.credentials);
    const assertion = await signAssertion(generated.credentials, claims);
    const response = await requestWithAssertion(server, assertion);
    expect(response.status).toBe(200);
  });
});

describe('credentials file', () => {
  it('uses exact Vendasta format', async () => {
    const { path, credentials: created } = await server.createCredentials();
    const file = JSON.parse(await readFile(path, 'utf8')) as ServiceAccountCredentials;
    const kid = file.private_key_id;

    expect(Object.keys(file)).toEqual([
      'type',
      'private_key_id',
      'private_key',
      'client_email',
      'token_uri',
      'assertionHeaderData',
      'assertionPayloadData',
    ]);
    expect(file).toEqual(created);
    expect(file.type).toBe('service_account');
    expect(kid).toMatch(/^[0-9a-f]{32}$/);
    expect(file.client_email).toMatch(/^test-[0-9a-f]+@partner-service-account\.apigateway\.co$/);
    expect(file.token_uri).toBe(`${server.url}/oauth2/token`);
    expect(file.assertionHeaderData).toEqual({ alg: 'RS256', kid });
    expect(file.assertionPayloadData).toEqual({
      aud: server.audience,
      iss: file.client_email,
      sub: file.client_email,
    });
  });

  it('has mode 0600', async () => {
    const { path } = await server.createCredentials();
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('writes RS256 key as PKCS#1', async () => {
    const { credentials: created } = await server.createCredentials({ alg: 'RS256' });
    expect(created.private_key.startsWith('-----BEGIN RSA PRIVATE KEY-----\n')).toBe(true);
  });

  it('writes ES256 key as SEC1', async () => {
    const { credentials: created } = await server.createCredentials({ alg: 'ES256' });
    expect(created.private_key.startsWith('-----BEGIN EC PRIVATE KEY-----\n')).toBe(true);
    expect(created.assertionHeaderData.alg).toBe('ES256');
  });

  it('writes PKCS#8 on request', async () => {
    const { credentials: created } = await server.createCredentials({ alg: 'ES256', pkcs8: true });
    expect(created.private_key.startsWith('-----BEGIN PRIVATE KEY-----\n')).toBe(true);
  });

  it('writes into given dir', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'token-server-test-'));
    try {
      const { path } = await server.createCredentials({ dir, clientEmail: 'ci@example.test' });
      const file = JSON.parse(await readFile(path, 'utf8')) as ServiceAccountCredentials;
      expect(path.startsWith(dir)).toBe(true);
      expect(file.client_email).toBe('ci@example.test');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('creates a missing given dir', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'token-server-test-'));
    try {
      const dir = join(parent, 'nested', 'keys');
      const { path } = await server.createCredentials({ dir });
      expect(path.startsWith(dir)).toBe(true);
      expect((await stat(dir)).mode & 0o777).toBe(0o700);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });

  it('close removes temp dir', async () => {
    const { path } = await server.createCredentials();
    await server.close();
    await expect(stat(path)).rejects.toThrow();
  });

  it('generateCredentials works without server', () => {
    const generated = generateCredentials({
      alg: 'RS256',
      tokenUri: 'http://127.0.0.1:1/oauth2/token',
      audience: 'http://127.0.0.1:1',
    });
    expect(generated.credentials.token_uri).toBe('http://127.0.0.1:1/oauth2/token');
    expect(generated.credentials.assertionPayloadData.aud).toBe('http://127.0.0.1:1');
    expect(generated.publicKey.asymmetricKeyType).toBe('rsa');
    expect(generated.privateKey.type).toBe('private');
  });
});

describe('token request rejection', () => {
  const otherKeyPem = generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ type: 'pkcs1', format: 'pem' })
    .toString();

  type Case = [string, (c: ServiceAccountCredentials) => Promise<string>, number, string, RegExp];
  const assertionCases: Case[] = [
    [
      'unknown kid',
      (c) => signAssertion(c, validClaims(c), { kid: 'unknown' }),
      401,
      'invalid_client',
      /\bkid\b/,
    ],
    [
      'bad signature',
      (c) => signAssertion(c, validClaims(c), {}, otherKeyPem),
      400,
      'invalid_grant',
      /signature/,
    ],
    [
      'wrong aud',
      (c) => signAssertion(c, { ...validClaims(c), aud: 'http://other' }),
      400,
      'invalid_grant',
      /\baud\b/,
    ],
    [
      'wrong iss',
      (c) => signAssertion(c, { ...validClaims(c), iss: 'x@example.test' }),
      400,
      'invalid_grant',
      /\biss\b/,
    ],
    [
      'wrong sub',
      (c) => signAssertion(c, { ...validClaims(c), sub: 'x@example.test' }),
      400,
      'invalid_grant',
      /\bsub\b/,
    ],
    [
      'expired',
      (c) => signAssertion(c, timedClaims(c, -400, -100)),
      400,
      'invalid_grant',
      /\bexp\b.*expired/,
    ],
    [
      'exp - iat of 601',
      (c) => signAssertion(c, timedClaims(c, -1, 600)),
      400,
      'invalid_grant',
      /exp - iat/,
    ],
    [
      'iat in future',
      (c) => signAssertion(c, timedClaims(c, 60, 300)),
      400,
      'invalid_grant',
      /\biat\b.*future/,
    ],
    [
      'missing scope',
      (c) => signAssertion(c, { ...validClaims(c), scope: undefined }),
      400,
      'invalid_grant',
      /\bscope\b/,
    ],
    [
      'blank scope',
      (c) => signAssertion(c, { ...validClaims(c), scope: '  ' }),
      400,
      'invalid_scope',
      /\bscope\b/,
    ],
    [
      'wrong alg for key',
      (c) => signAssertion(c, validClaims(c), { alg: 'RS384' }),
      400,
      'invalid_grant',
      /\balg\b/,
    ],
    ['malformed JWT', async () => 'not-a-jwt', 400, 'invalid_grant', /not a valid JWT/],
  ];

  it.each(assertionCases)('rejects %s', async (_name, makeAssertion, status, error, reason) => {
    const assertion = await makeAssertion(credentials);
    const response = await requestWithAssertion(server, assertion);
    const body = (await response.json()) as Record<string, string>;

    expect(response.status).toBe(status);
    expect(body.error).toBe(error);
    expect(body.error_description).toMatch(reason);
    expect(body.error_description).not.toContain(assertion);
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  const form = 'application/x-www-form-urlencoded';
  type FormCase = [string, Record<string, string>, string, number, string];
  const formCases: FormCase[] = [
    [
      'wrong content type',
      { grant_type: JWT_BEARER_GRANT_TYPE, assertion: 'x' },
      'application/json',
      400,
      'invalid_request',
    ],
    ['missing grant_type', { assertion: 'x' }, form, 400, 'invalid_request'],
    ['empty grant_type', { grant_type: '', assertion: 'x' }, form, 400, 'invalid_request'],
    [
      'wrong grant_type',
      { grant_type: 'client_credentials', assertion: 'x' },
      form,
      400,
      'unsupported_grant_type',
    ],
    ['missing assertion', { grant_type: JWT_BEARER_GRANT_TYPE }, form, 400, 'invalid_request'],
  ];

  it.each(formCases)('rejects %s', async (_name, fields, contentType, status, error) => {
    const response = await postToken(server, fields, contentType);
    const body = (await response.json()) as Record<string, string>;
    expect(response.status).toBe(status);
    expect(body.error).toBe(error);
  });

  it('accepts content type with charset', async () => {
    const assertion = await signAssertion(credentials, validClaims(credentials));
    const response = await postToken(
      server,
      { grant_type: JWT_BEARER_GRANT_TYPE, assertion },
      'application/x-www-form-urlencoded; charset=utf-8',
    );
    expect(response.status).toBe(200);
  });

  it('rejects repeated grant_type', async () => {
    const grantType = encodeURIComponent(JWT_BEARER_GRANT_TYPE);
    const response = await fetch(server.tokenUri, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `grant_type=${grantType}&grant_type=${grantType}&assertion=x`,
    });
    const body = (await response.json()) as Record<string, string>;
    expect(response.status).toBe(400);
    expect(body.error).toBe('invalid_request');
    expect(body.error_description).toMatch(/grant_type/);
  });

  it('rejects GET with 405', async () => {
    const response = await fetch(server.tokenUri);
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
  });

  it('rejects removed key', async () => {
    server.removeKey(credentials.private_key_id);
    const assertion = await signAssertion(credentials, validClaims(credentials));
    const response = await requestWithAssertion(server, assertion);
    const body = (await response.json()) as Record<string, string>;
    expect(response.status).toBe(401);
    expect(body.error).toBe('invalid_client');
  });
});

describe('jti rules', () => {
  it('default ignores missing and reused jti', async () => {
    const assertion = await signAssertion(credentials, { ...validClaims(credentials), jti: 'a' });
    const withoutJti = await signAssertion(credentials, validClaims(credentials));
    expect((await requestWithAssertion(server, assertion)).status).toBe(200);
    expect((await requestWithAssertion(server, assertion)).status).toBe(200);
    expect((await requestWithAssertion(server, withoutJti)).status).toBe(200);
  });

  it('requireJti rejects missing jti', async () => {
    await startWith({ requireJti: true });
    const assertion = await signAssertion(credentials, validClaims(credentials));
    const response = await requestWithAssertion(server, assertion);
    const body = (await response.json()) as Record<string, string>;
    expect(response.status).toBe(400);
    expect(body.error).toBe('invalid_grant');
    expect(body.error_description).toMatch(/\bjti\b/);
  });

  it('requireJti rejects reused jti', async () => {
    await startWith({ requireJti: true });
    const first = await signAssertion(credentials, { ...validClaims(credentials), jti: 'one' });
    const second = await signAssertion(credentials, { ...validClaims(credentials), jti: 'two' });

    const accepted = await requestWithAssertion(server, first);
    const replayed = await requestWithAssertion(server, first);
    const replayedBody = (await replayed.json()) as Record<string, string>;
    const fresh = await requestWithAssertion(server, second);

    expect(accepted.status).toBe(200);
    expect(replayed.status).toBe(400);
    expect(replayedBody.error).toBe('invalid_grant');
    expect(fresh.status).toBe(200);
  });
});

describe('API routes', () => {
  it('echoes body hash', async () => {
    const token = await issueToken(server, credentials);
    const payload = JSON.stringify({ name: 'Acme' });
    const response = await callApi(server, '/api/businesses', token, {
      method: 'POST',
      body: payload,
    });
    const body = (await response.json()) as Record<string, unknown>;

    expect(body.method).toBe('POST');
    expect(body.bodyLength).toBe(Buffer.byteLength(payload));
    expect(body.bodySha256).toBe(createHash('sha256').update(payload).digest('hex'));
  });

  it.each([
    ['missing token', undefined],
    ['unknown token', 'not-issued'],
  ])('rejects %s', async (_name, token) => {
    const response = await callApi(server, '/api/x', token);
    const body = (await response.json()) as Record<string, string>;
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(body.error).toBe('invalid_token');
  });

  it('rejects expired token', async () => {
    server.tokenLifetimeSeconds = 60;
    const token = await issueToken(server, credentials);
    server.clockOffsetMs = 61_000;
    const response = await callApi(server, '/api/x', token);
    expect(response.status).toBe(401);
  });

  it('revokeAll rejects earlier tokens', async () => {
    const first = await issueToken(server, credentials);
    const second = await issueToken(server, credentials);
    server.revokeAll();
    const later = await issueToken(server, credentials);

    expect((await callApi(server, '/api/x', first)).status).toBe(401);
    expect((await callApi(server, '/api/x', second)).status).toBe(401);
    expect((await callApi(server, '/api/x', later)).status).toBe(200);
  });

  it('revokeToken rejects one token', async () => {
    const revoked = await issueToken(server, credentials);
    const kept = await issueToken(server, credentials);
    server.revokeToken(revoked);

    expect((await callApi(server, '/api/x', revoked)).status).toBe(401);
    expect((await callApi(server, '/api/x', kept)).status).toBe(200);
  });

  it('redirect skips token check', async () => {
    const target = 'http://127.0.0.2:9/elsewhere';
    const response = await fetch(`${server.url}/api/redirect?to=${encodeURIComponent(target)}`, {
      redirect: 'manual',
    });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(target);
  });

  it('health answers 200', async () => {
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it('unknown path answers 404', async () => {
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
  });
});

describe('faults', () => {
  async function validAssertion(): Promise<string> {
    return signAssertion(credentials, validClaims(credentials));
  }

  it('sends status and Retry-After', async () => {
    server.injectFaults({ status: 503, headers: { 'Retry-After': '7' }, body: { error: 'busy' } });
    const faulted = await requestWithAssertion(server, await validAssertion());
    const faultedBody = (await faulted.json()) as Record<string, string>;
    const next = await requestWithAssertion(server, await validAssertion());

    expect(faulted.status).toBe(503);
    expect(faulted.headers.get('retry-after')).toBe('7');
    expect(faultedBody.error).toBe('busy');
    expect(next.status).toBe(200);
  });

  it('sends HTML body as is', async () => {
    const page = '<html><body>Bad Gateway</body></html>';
    server.injectFaults({ status: 502, body: page });
    const response = await requestWithAssertion(server, await validAssertion());
    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toBe(page);
  });

  it('defaults to 503', async () => {
    server.injectFaults({});
    const response = await requestWithAssertion(server, await validAssertion());
    expect(response.status).toBe(503);
  });

  it('takes faults in order', async () => {
    server.injectFaults({ status: 500 }, { status: 429 });
    const assertion = await validAssertion();
    expect((await requestWithAssertion(server, assertion)).status).toBe(500);
    expect((await requestWithAssertion(server, assertion)).status).toBe(429);
    expect((await requestWithAssertion(server, assertion)).status).toBe(200);
  });

  it('clearFaults empties queue', async () => {
    server.injectFaults({ status: 500 });
    server.clearFaults();
    expect((await requestWithAssertion(server, await validAssertion())).status).toBe(200);
  });

  it('delays answer', async () => {
    server.injectFaults({ status: 500, delayMs: 300 });
    const assertion = await validAssertion();
    const started = performance.now();
    const response = await requestWithAssertion(server, assertion);
    expect(response.status).toBe(500);
    expect(performance.now() - started).toBeGreaterThanOrEqual(280);
  });

  it('destroys socket', async () => {
    server.injectFaults({ destroySocket: true });
    const request = requestWithAssertion(server, await validAssertion());
    await expect(request).rejects.toThrow('fetch failed');
  });

  it('hang ends on close', async () => {
    server.injectFaults({ hang: true });
    const pending = requestWithAssertion(server, await validAssertion());
    const outcome = pending.then(
      () => 'answered',
      () => 'failed',
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.tokenRequests).toBe(1);
    await server.close();
    expect(await outcome).toBe('failed');
  });

  it('counts faulted requests', async () => {
    server.injectFaults({ status: 503 }, { destroySocket: true });
    const assertion = await validAssertion();
    await requestWithAssertion(server, assertion);
    await requestWithAssertion(server, assertion).catch(() => undefined);
    expect(server.tokenRequests).toBe(2);
    expect(server.tokensIssued).toBe(0);
  });
});

describe('server clock', () => {
  it('offset shows in Date header', async () => {
    await startWith({ clockOffsetMs: -3_600_000 });
    const response = await fetch(`${server.url}/health`);
    const serverDate = Date.parse(response.headers.get('date') ?? '');
    expect(Math.abs(serverDate - (Date.now() - 3_600_000))).toBeLessThan(5000);
  });

  it('offset changes at runtime', async () => {
    server.clockOffsetMs = 7_200_000;
    const response = await fetch(`${server.url}/health`);
    const serverDate = Date.parse(response.headers.get('date') ?? '');
    expect(Math.abs(serverDate - (Date.now() + 7_200_000))).toBeLessThan(5000);
  });

  it('offset applies to validation', async () => {
    server.clockOffsetMs = 3_600_000;
    const localClock = await signAssertion(credentials, validClaims(credentials));
    const serverClock = await signAssertion(credentials, validClaims(credentials, 3_600_000));

    const rejected = await requestWithAssertion(server, localClock);
    const rejectedBody = (await rejected.json()) as Record<string, string>;
    const accepted = await requestWithAssertion(server, serverClock);

    expect(rejected.status).toBe(400);
    expect(rejectedBody.error_description).toMatch(/\bexp\b/);
    expect(accepted.status).toBe(200);
  });
});

describe('counters', () => {
  it('count requests and tokens', async () => {
    const token = await issueToken(server, credentials);
    await requestWithAssertion(server, 'not-a-jwt');
    await callApi(server, '/api/x', token);
    await callApi(server, '/oauth2/user-info', token);
    await fetch(`${server.url}/health`);

    expect(server.tokenRequests).toBe(2);
    expect(server.tokensIssued).toBe(1);
    expect(server.apiRequests).toBe(2);
  });

  it('record last token request', async () => {
    const claims = validClaims(credentials);
    claims.jti = 'j-1';
    await requestWithAssertion(server, await signAssertion(credentials, claims));
    const last = server.lastTokenRequest;

    expect(last?.scopes).toEqual(['business:read', 'business:write']);
    expect(last?.kid).toBe(credentials.private_key_id);
    expect(last?.grantType).toBe(JWT_BEARER_GRANT_TYPE);
    expect(last?.iat).toBe(claims.iat);
    expect(last?.exp).toBe(claims.exp);
    expect(last?.jti).toBe('j-1');
    expect(Math.abs((last?.receivedAt ?? 0) - Date.now())).toBeLessThan(5000);
    expect(JSON.stringify(last)).not.toContain('eyJ');
  });

  it('resetCounters clears all', async () => {
    await issueToken(server, credentials);
    await callApi(server, '/api/x');
    server.resetCounters();

    expect(server.tokenRequests).toBe(0);
    expect(server.tokensIssued).toBe(0);
    expect(server.apiRequests).toBe(0);
    expect(server.lastTokenRequest).toBeUndefined();
  });
});

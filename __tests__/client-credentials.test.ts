import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import axios from 'axios';
import { decodeJwt } from 'jose';

import { attachVendastaAuth, TokenRequestError, type VendastaAuth } from '../lib/index.js';
import { generateCredentials } from '../lib/testing/credentials-factory.js';
import { startServer } from './helpers/servers.js';

interface Provider {
  issuer: string;
  tokenEndpoint: string;
  introspectionEndpoint: string;
}

const INTROSPECTION_SECRET = 'introspection-secret-for-tests-only';
const generated = generateCredentials({
  alg: 'ES256',
  tokenUri: 'http://127.0.0.1:1/unused',
  audience: 'unused',
  clientEmail: 'worker@partner-service-account.apigateway.co',
});
const credentials = generated.credentials as unknown as Record<string, unknown>;

let child: ChildProcess;
let provider: Provider;
let handles: VendastaAuth[] = [];

/** Starts oidc-provider in its own Node process, since it is an ES module that jest need not load. */
async function startProvider(): Promise<Provider> {
  child = spawn(process.execPath, [join(__dirname, 'fixtures', 'oidc-provider-server.mjs')], {
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  const jwk = { ...generated.publicKey.export({ format: 'jwk' }), kid: generated.credentials.private_key_id };
  const input = { clientId: generated.credentials.client_email, jwk, introspectionSecret: INTROSPECTION_SECRET, scopes: ['profile', 'email'] };
  child.stdin!.write(`${JSON.stringify(input)}\n`);

  const lines = createInterface({ input: child.stdout! });
  const timer = setTimeout(() => child.kill(), 20_000);
  try {
    const [line] = (await once(lines, 'line')) as [string];
    return JSON.parse(line) as Provider;
  } finally {
    clearTimeout(timer);
  }
}

async function introspect(token: string): Promise<Record<string, unknown>> {
  const response = await axios.post(provider.introspectionEndpoint, new URLSearchParams({ token }), {
    auth: { username: 'resource-server', password: INTROSPECTION_SECRET },
  });
  return response.data as Record<string, unknown>;
}

beforeAll(async () => {
  provider = await startProvider();
}, 30_000);

afterAll(async () => {
  const exited = once(child, 'exit');
  child.stdin!.end();
  const timer = setTimeout(() => child.kill(), 5000);
  await exited;
  clearTimeout(timer);
});

afterEach(() => {
  for (const handle of handles) handle.detach();
  handles = [];
});

function attach(options: Partial<Parameters<typeof attachVendastaAuth>[1]> = {}, baseURL?: string) {
  const instance = axios.create({ baseURL });
  const handle = attachVendastaAuth(instance, {
    credentials,
    scopes: ['profile'],
    tokenUri: provider.tokenEndpoint,
    grant: 'client_credentials',
    audience: provider.tokenEndpoint,
    retry: false,
    ...options,
  });
  handles.push(handle);
  return { instance, handle };
}

describe('client_credentials against oidc-provider', () => {
  test('issues a token the server confirms', async () => {
    const { handle } = attach();
    const token = await handle.getAccessToken();
    const details = await introspect(token);
    expect(details.active).toBe(true);
    expect(details.client_id).toBe(generated.credentials.client_email);
    expect(details.scope).toBe('profile');
  });

  test('authorizes API requests end to end', async () => {
    const api = await startServer((request, response) => {
      const token = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
      void introspect(token).then((details) => {
        response.writeHead(details.active === true ? 200 : 401, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify({ scope: details.scope ?? null }));
      });
    });
    try {
      const { instance } = attach({}, api.url);
      const response = await instance.get('/resource', { vendastaAuth: { scopes: ['email', 'profile'] } });
      expect(response.status).toBe(200);
      expect(response.data.scope).toBe('email profile');
    } finally {
      await api.close();
    }
  });

  test('wrong audience is invalid_client', async () => {
    const { handle } = attach({ audience: 'https://wrong.example.test' });
    const error = await handle.getAccessToken().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TokenRequestError);
    expect((error as TokenRequestError).code).toBe('ERR_OAUTH_INVALID_CLIENT');
    expect((error as TokenRequestError).status).toBe(401);
  });
});

describe('client_credentials form', () => {
  test('sends the RFC 7523 client assertion', async () => {
    const token = await startServer((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end('{"access_token":"opaque","token_type":"Bearer","expires_in":60}');
    });
    try {
      const { handle } = attach({ tokenUri: `${token.url}/token`, audience: 'https://issuer.example.test', scopes: 'b a' });
      await handle.getAccessToken();
      const form = new URLSearchParams(token.requests[0]!.body.toString('utf8'));
      expect([...form.keys()].sort()).toEqual(['client_assertion', 'client_assertion_type', 'grant_type', 'scope']);
      expect(form.get('grant_type')).toBe('client_credentials');
      expect(form.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      expect(form.get('scope')).toBe('a b');
      const claims = decodeJwt(form.get('client_assertion')!);
      expect(claims.aud).toBe('https://issuer.example.test');
      expect(claims.iss).toBe(generated.credentials.client_email);
      expect(claims.sub).toBe(generated.credentials.client_email);
      expect(typeof claims.jti).toBe('string');
    } finally {
      await token.close();
    }
  });

  test('unknown grant is a TypeError', () => {
    expect(() => attach({ grant: 'password' as never })).toThrow(
      expect.objectContaining({
        name: 'TypeError',
        code: 'ERR_INVALID_ARG_VALUE',
        message: "Option `grant` must be one of 'jwt-bearer', 'client_credentials', got \"password\".",
      }),
    );
  });

  test('empty audience is a TypeError', () => {
    expect(() => attach({ audience: ' ' })).toThrow(
      expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining('`audience`') }),
    );
  });
});

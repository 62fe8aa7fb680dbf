import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { inspect } from 'node:util';

import axios, { type AxiosError } from 'axios';

import { attachVendastaAuth, TokenRequestError, type Logger, type VendastaAuthOptions } from '../lib/index.js';
import { createLog } from '../lib/logger.js';
import { startTokenServer, type LocalTokenServer } from '../lib/testing/index.js';
import { attachRecorded, FAST_RETRY, rejectionOf, settleAll, type Attached } from './helpers/auth.js';
import { startServer } from './helpers/servers.js';

interface Line {
  level: string;
  context: Record<string, unknown>;
  message: string;
}

let server: LocalTokenServer;
let credentialsPath: string;
let privateKeyLines: string[];
let current: Attached | undefined;

beforeAll(async () => {
  server = await startTokenServer();
  credentialsPath = (await server.createCredentials({ alg: 'RS256' })).path;
  const pem = (JSON.parse(readFileSync(credentialsPath, 'utf8')) as { private_key: string }).private_key;
  privateKeyLines = pem.split('\n').filter((line) => line.length >= 40 && !line.startsWith('-----'));
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  server.clearFaults();
  server.resetCounters();
  server.clockOffsetMs = 0;
});

afterEach(() => {
  current?.auth.detach();
  current = undefined;
});

function recordingLogger(): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: string) => (context: Record<string, unknown>, message: string) => {
    lines.push({ level, context, message });
  };
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

function attach(options: Partial<VendastaAuthOptions> = {}) {
  const { logger, lines } = recordingLogger();
  current = attachRecorded(server.url, {
    credentials: credentialsPath,
    scopes: ['profile'],
    retry: FAST_RETRY,
    cooldownMs: 0,
    logger,
    ...options,
  });
  return { ...current, lines };
}

/** Asserts that no text contains a token, an assertion, key material or an auth header. */
function expectNoSecrets(texts: string[], tokens: string[]): void {
  for (const text of texts) {
    expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
    expect(text).not.toMatch(/Bearer (?!\[REDACTED\])\S/);
    expect(text).not.toMatch(/authorization/i);
    for (const token of tokens) expect(text).not.toContain(token);
    for (const line of privateKeyLines) expect(text).not.toContain(line);
  }
}

describe('logger', () => {
  test('logs a fetch with ids and duration', async () => {
    const { auth, lines } = attach();
    const token = await auth.getAccessToken();
    const fetched = lines.find((line) => line.message === 'Fetched an access token.');
    expect(fetched?.level).toBe('info');
    expect(fetched?.context).toMatchObject({ name: 'vendasta-axios-auth', scopes: ['profile'], attempts: 1 });
    expect(fetched?.context.keyId).toBe(auth.serviceAccount.keyId);
    expect(fetched?.context.keyFingerprint).toBe(auth.serviceAccount.keyFingerprint);
    expect(typeof fetched?.context.durationMs).toBe('number');
    expect(lines.some((line) => line.level === 'debug' && line.message === 'Requesting an access token.')).toBe(true);
    expectNoSecrets(lines.map((line) => JSON.stringify(line)), [token]);
  });

  test('logs retries with status and delay', async () => {
    const { auth, lines } = attach();
    server.injectFaults({ status: 503 });
    const token = await auth.getAccessToken();
    const retry = lines.find((line) => line.message === 'Token request failed; retrying.');
    expect(retry?.level).toBe('warn');
    expect(retry?.context).toMatchObject({ attempt: 1, status: 503, code: 'ERR_TOKEN_REQUEST_FAILED' });
    expect(typeof retry?.context.delayMs).toBe('number');
    expectNoSecrets(lines.map((line) => JSON.stringify(line)), [token]);
  });

  test('logs failures and rate-limits cooldown lines', async () => {
    const { auth, lines } = attach({ cooldownMs: 5000 });
    server.injectFaults({ status: 401, body: { error: 'invalid_client' } });
    await rejectionOf(auth.getAccessToken());
    await settleAll(Array.from({ length: 50 }, () => auth.getAccessToken()));

    const failed = lines.filter((line) => line.message === 'Token fetch failed.');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.level).toBe('error');
    expect(failed[0]!.context).toMatchObject({ code: 'ERR_OAUTH_INVALID_CLIENT', status: 401, attempts: 1, cooldownMs: 5000 });
    const fastFails = lines.filter((line) => line.message.startsWith('Token endpoint failed recently'));
    expect(fastFails).toHaveLength(1);
    expect(fastFails[0]!.context.code).toBe('ERR_OAUTH_INVALID_CLIENT');
    expect(server.tokenRequests).toBe(1);
    expectNoSecrets(lines.map((line) => JSON.stringify(line)), []);
  });

  test('logs a clock skew correction', async () => {
    server.clockOffsetMs = -300_000;
    const { auth, lines } = attach();
    await auth.getAccessToken();
    const skew = lines.find((line) => line.message.startsWith('Clock skew of'));
    expect(skew?.level).toBe('warn');
    expect(Math.abs((skew?.context.offsetMs as number) + 300_000)).toBeLessThan(2500);
    expect(skew?.message).toMatch(/assertions now use the token endpoint's clock/);
  });

  test('a throwing logger breaks nothing', async () => {
    const { auth } = attach({
      logger: {
        info() {
          throw new Error('logger down');
        },
      },
    });
    expect((await auth.getAccessToken()).length).toBeGreaterThan(10);
  });
});

describe('createLog', () => {
  test('counts repeats within the window', async () => {
    const { logger, lines } = recordingLogger();
    const log = createLog(logger, 50);
    for (let index = 0; index < 10; index++) log('warn', { code: 'X', scopes: ['a'] }, 'Same line.');
    log('warn', { code: 'X', scopes: ['b'] }, 'Same line.');
    expect(lines).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 80));
    log('warn', { code: 'X', scopes: ['a'] }, 'Same line.');
    expect(lines).toHaveLength(3);
    expect(lines[2]!.context.suppressed).toBe(9);
    expect(lines[0]!.context.suppressed).toBeUndefined();
  });

  test('tells operations apart and adds counts', async () => {
    const { logger, lines } = recordingLogger();
    const log = createLog(logger, 50);
    log('warn', { operation: 'get', code: 'E' }, 'Store failed.');
    log('warn', { operation: 'set', code: 'E' }, 'Store failed.');
    log('warn', { operation: 'get', code: 'E' }, 'Store failed.');
    expect(lines).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 80));
    log('warn', { operation: 'get', code: 'E', suppressed: 4 }, 'Store failed.');
    expect(lines[2]!.context.suppressed).toBe(5);
  });

  test('is silent without a logger', () => {
    expect(() => createLog(undefined)('error', {}, 'nothing')).not.toThrow();
  });
});

describe('errors hold no secrets', () => {
  test.each([
    ['invalid response', { status: 200, body: { access_token: 'tok-secret-in-body-1234', token_type: 'mac' } }, 'tok-secret-in-body-1234'],
    ['expires_in zero', { status: 200, body: { access_token: 'tok-secret-zero-5678', expires_in: 0 } }, 'tok-secret-zero-5678'],
    ['invalid_grant', { status: 400, body: { error: 'invalid_grant' } }, undefined],
    ['HTML 500', { status: 500, body: '<html>down</html>' }, undefined],
  ])('%s', async (_name, fault, tokenInBody) => {
    const { auth, events } = attach({ retry: false });
    server.injectFaults(fault);
    const error = await rejectionOf(auth.getAccessToken());
    expect(error).toBeInstanceOf(TokenRequestError);
    const texts = [
      (error as Error).message,
      JSON.stringify(error),
      inspect(error, { depth: 10 }),
      inspect(error, { depth: 10, showHidden: true }),
      inspect(events, { depth: 10 }),
    ];
    expectNoSecrets(texts, tokenInBody === undefined ? [] : [tokenInBody]);
    expect(Object.keys(error as object)).not.toContain('response');
  });
});

describe('maskAuthorizationInErrors', () => {
  async function failingApi() {
    return startServer((_request, response: ServerResponse) => {
      response.writeHead(500, { 'Content-Type': 'text/plain' });
      response.end('broken');
    });
  }

  test('masks by default', async () => {
    const api = await failingApi();
    try {
      const { auth, instance } = attach({ allowedHosts: [api.url] });
      const token = await auth.getAccessToken();
      const error = (await rejectionOf(instance.get(`${api.url}/x`))) as AxiosError;
      expect(axios.isAxiosError(error)).toBe(true);
      expect(error.config?.headers.get('Authorization')).toBe('Bearer [REDACTED]');
      expect(api.requests[0]?.authorization).toBe(`Bearer ${token}`);
      expect(inspect(error, { depth: 8 })).not.toContain(token);
    } finally {
      await api.close();
    }
  });

  test('false keeps the header', async () => {
    const api = await failingApi();
    try {
      const { auth, instance } = attach({ allowedHosts: [api.url], maskAuthorizationInErrors: false });
      const token = await auth.getAccessToken();
      const error = (await rejectionOf(instance.get(`${api.url}/x`))) as AxiosError;
      expect(error.config?.headers.get('Authorization')).toBe(`Bearer ${token}`);
    } finally {
      await api.close();
    }
  });
});

describe('option validation', () => {
  test.each([
    [{ maskAuthorizationInErrors: 'yes' }, 'ERR_INVALID_ARG_TYPE', /`maskAuthorizationInErrors` must be true or false, got string/],
    [{ cooldownMs: -1 }, 'ERR_INVALID_ARG_VALUE', /`cooldownMs` must be between 0 and 2147483647, got -1/],
    [{ retry: { maxRetryAfterMs: 'x' } }, 'ERR_INVALID_ARG_TYPE', /`retry\.maxRetryAfterMs` must be a number, got string/],
  ])('%j', (options, code, message) => {
    let caught: unknown;
    try {
      attachVendastaAuth(axios.create(), { credentials: credentialsPath, scopes: ['a'], ...(options as object) });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TypeError);
    expect((caught as { code?: string }).code).toBe(code);
    expect((caught as Error).message).toMatch(message);
  });
});

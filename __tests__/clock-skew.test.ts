import { TokenRequestError, type VendastaAuthOptions } from '../lib/index.js';
import { startTokenServer, type LocalTokenServer } from '../lib/testing/index.js';
import { attachRecorded, FAST_RETRY, rejectionOf, type Attached } from './helpers/auth.js';

let server: LocalTokenServer;
let credentialsPath: string;
let current: Attached | undefined;

beforeAll(async () => {
  server = await startTokenServer();
  credentialsPath = (await server.createCredentials({ alg: 'ES256' })).path;
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

function attach(options: Partial<VendastaAuthOptions> = {}): Attached {
  current = attachRecorded(server.url, {
    credentials: credentialsPath,
    scopes: ['profile'],
    retry: FAST_RETRY,
    cooldownMs: 0,
    ...options,
  });
  return current;
}

function expectNear(actual: number, expected: number, toleranceMs = 2500): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(toleranceMs);
}

describe('clock skew', () => {
  test('small skew is absorbed by the backdated iat', async () => {
    server.clockOffsetMs = -45_000;
    const { auth, ofType } = attach();
    await auth.getAccessToken();
    expect(server.tokenRequests).toBe(1);
    expect(ofType('token:error')).toHaveLength(0);
  });

  test.each([
    ['behind', 400_000],
    ['ahead of', -120_000],
  ])('host clock %s the server: one corrected retry', async (_direction, offsetMs) => {
    server.clockOffsetMs = offsetMs;
    const { auth, ofType } = attach();
    await auth.getAccessToken();
    expect(server.tokenRequests).toBe(2);

    const [rejected] = ofType('token:error');
    expect(rejected!.error.code).toBe('ERR_OAUTH_INVALID_GRANT');
    expect(rejected!.willRetry).toBe(true);
    expect(rejected!.error.message).toMatch(/Clock skew of [+-]\d+\.\d s .* retrying once with the corrected clock/);

    const skew = ofType('clock:skew');
    expect(skew).toHaveLength(1);
    expectNear(skew[0]!.offsetMs, offsetMs);

    // The corrected assertion carries the server's time.
    const record = server.lastTokenRequest!;
    expectNear(record.iat * 1000, Date.now() + offsetMs - 30_000, 5000);
  });

  test('corrects the clock even with retry false', async () => {
    server.clockOffsetMs = 400_000;
    const { auth } = attach({ retry: false });
    await auth.getAccessToken();
    expect(server.tokenRequests).toBe(2);
  });

  test('later fetches use the learned offset from the start', async () => {
    server.clockOffsetMs = 400_000;
    const { auth } = attach();
    await auth.getAccessToken();
    auth.invalidate();
    server.resetCounters();
    await auth.getAccessToken();
    expect(server.tokenRequests).toBe(1);
  });

  test('rejected even after correction names the skew', async () => {
    server.clockOffsetMs = -120_000;
    const { auth } = attach();
    server.injectFaults(
      { status: 400, body: { error: 'invalid_grant' } },
      { status: 400, body: { error: 'invalid_grant' } },
      { status: 400, body: { error: 'invalid_grant' } },
    );
    const error = (await rejectionOf(auth.getAccessToken())) as TokenRequestError;
    expect(error).toBeInstanceOf(TokenRequestError);
    expect(error.code).toBe('ERR_OAUTH_INVALID_GRANT');
    expect(error.message).toMatch(/rejected even with the clock corrected for a skew of -1\d\d\.\d s \(this host's clock is ahead of the token endpoint's\)/);
    expect(error.attempts).toBe(2);
    expectNear(error.clockOffsetMs!, -120_000);
    expect(server.tokenRequests).toBe(2);
  });

  test('known skew and a rejection: no second correction', async () => {
    server.clockOffsetMs = 400_000;
    const { auth } = attach();
    await auth.getAccessToken();
    auth.invalidate();
    server.resetCounters();
    server.injectFaults({ status: 400, body: { error: 'invalid_grant' } });
    const error = (await rejectionOf(auth.getAccessToken())) as TokenRequestError;
    expect(error.code).toBe('ERR_OAUTH_INVALID_GRANT');
    expect(error.message).toMatch(/Clock skew of \+\d+\.\d s .* measured: fix this host's clock/);
    expect(server.tokenRequests).toBe(1);
  });

  test('no skew: the error says the clock is not the cause', async () => {
    const { auth, ofType } = attach();
    server.injectFaults({ status: 400, body: { error: 'invalid_grant' } });
    const error = (await rejectionOf(auth.getAccessToken())) as TokenRequestError;
    expect(error.message).toMatch(/Measured clock skew to the token endpoint: -?\d\.\d s, so the clock is not the cause/);
    expect(Math.abs(error.clockOffsetMs!)).toBeLessThan(2000);
    expect(ofType('clock:skew')).toHaveLength(0);
    expect(server.tokenRequests).toBe(1);
  });

  test('no Date header: the error says skew is unknown', async () => {
    const { auth } = attach();
    server.injectFaults({ status: 400, body: { error: 'invalid_grant' }, headers: { Date: '' } });
    const error = (await rejectionOf(auth.getAccessToken())) as TokenRequestError;
    expect(error.message).toMatch(/could not be measured because the token endpoint sent no Date header/);
    expect(error.clockOffsetMs).toBeUndefined();
  });

  test('JWT exp is read on the server clock', async () => {
    server.clockOffsetMs = 3_600_000;
    const { auth, ofType } = attach();
    const serverNowSeconds = Math.floor((Date.now() + 3_600_000) / 1000);
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const accessToken = `${part({ alg: 'none' })}.${part({ exp: serverNowSeconds + 600 })}.c2ln`;
    server.injectFaults({ status: 200, body: { access_token: accessToken } });
    await auth.getAccessToken();
    expectNear(ofType('token:success')[0]!.expiresAt - Date.now(), 600_000, 5000);
  });
});

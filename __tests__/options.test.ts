import axios from 'axios';

import { attachVendastaAuth, type VendastaAuthOptions } from '../lib/index.js';
import { generateCredentials } from '../lib/testing/index.js';

const { credentials } = generateCredentials({
  alg: 'ES256',
  tokenUri: 'http://127.0.0.1:9/oauth2/token',
  audience: 'http://127.0.0.1:9',
});

function attachError(extra: Record<string, unknown>): TypeError & { code?: string } {
  const instance = axios.create();
  try {
    const auth = attachVendastaAuth(instance, { credentials, scopes: 'a', ...extra } as VendastaAuthOptions);
    auth.detach();
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError);
    return error as TypeError & { code?: string };
  }
  throw new Error('expected a TypeError');
}

describe('attachVendastaAuth options', () => {
  test.each([
    ['timeoutMs', 1.5, 'ERR_INVALID_ARG_VALUE'],
    ['timeoutMs', Infinity, 'ERR_INVALID_ARG_VALUE'],
    ['timeoutMs', 1e12, 'ERR_INVALID_ARG_VALUE'],
    ['timeoutMs', '10', 'ERR_INVALID_ARG_TYPE'],
    ['attemptTimeoutMs', 1e12, 'ERR_INVALID_ARG_VALUE'],
    ['attemptTimeoutMs', 0, 'ERR_INVALID_ARG_VALUE'],
    ['expiryMarginSeconds', -1, 'ERR_INVALID_ARG_VALUE'],
    ['refreshAheadSeconds', Number.NaN, 'ERR_INVALID_ARG_VALUE'],
    ['assertionLifetimeSeconds', 601, 'ERR_INVALID_ARG_VALUE'],
    ['assertionLifetimeSeconds', 20, 'ERR_INVALID_ARG_VALUE'],
  ])('%s = %p is rejected', (name, value, code) => {
    const error = attachError({ [name]: value });
    expect(error.code).toBe(code);
    expect(error.message).toContain(`\`${name}\``);
  });

  test.each([
    [{ retries: -1 }, 'retry.retries'],
    [{ retries: 1.5 }, 'retry.retries'],
    [{ minTimeoutMs: 3000, maxTimeoutMs: 1 }, 'retry.maxTimeoutMs'],
    [{ factor: 0.5 }, 'retry.factor'],
    ['yes', 'retry'],
    [[], 'retry'],
    [{ retrys: 10 }, 'retry.retrys'],
  ])('retry %p is rejected', (retry, name) => {
    const error = attachError({ retry });
    expect(error.code).toBe('ERR_INVALID_ARG_VALUE');
    expect(error.message).toContain(`\`${name}\``);
  });

  test.each([
    ['*'],
    ['127.0.0.1'],
    ['example.com'],
    ['http://api.example.com'],
    ['https://api.example.com/path'],
    ['https://user:pw@api.example.com'],
    ['https://*'],
    ['https://*.co'],
    ['https://api.*.example.com'],
  ])('allowedHosts entry %p is rejected', (entry) => {
    const error = attachError({ allowedHosts: [entry] });
    expect(error.code).toBe('ERR_INVALID_ARG_VALUE');
    expect(error.message).toContain('`allowedHosts`');
  });

  test.each([
    [['https://api.example.com']],
    [['https://*.example.com', 'http://127.0.0.1:8080', 'http://localhost:3000/']],
    [['https://*.example.co.uk:8443']],
  ])('allowedHosts %p is accepted', (allowedHosts) => {
    const instance = axios.create();
    const auth = attachVendastaAuth(instance, { credentials, scopes: 'a', allowedHosts });
    expect(typeof auth.detach).toBe('function');
    auth.detach();
  });

  test('misspelt option names the right one', () => {
    const error = attachError({ scope: ['profile'] });
    expect(error.code).toBe('ERR_INVALID_ARG_VALUE');
    expect(error.message).toContain('`scope`');
    expect(error.message).toContain('Did you mean `scopes`?');
  });

  test.each([[null], [{}], [{ get: async () => undefined, set: async () => {} }], ['redis']])(
    'store %p is a TypeError',
    (store) => {
      const error = attachError({ store });
      expect(error.code).toBe('ERR_INVALID_ARG_TYPE');
      expect(error.message).toContain('`store`');
    },
  );

  test('logger with a null method is accepted', () => {
    const instance = axios.create();
    const auth = attachVendastaAuth(instance, { credentials, scopes: 'a', logger: { info() {}, debug: null } as never });
    expect(typeof auth.detach).toBe('function');
    auth.detach();
  });

  test.each([['x'], [{}], [{ debug: 1 }], [{ info: () => {}, warn: 'no' }]])('logger %p is a TypeError', (logger) => {
    const error = attachError({ logger });
    expect(error.code).toBe('ERR_INVALID_ARG_TYPE');
    expect(error.message).toContain('`logger`');
  });

  test('tokenUri with a password is a TypeError', () => {
    const error = attachError({ tokenUri: 'https://alice:hunter2pw@sso.example.test/token' });
    expect(error.message).toContain('`tokenUri`');
    expect(error.message).not.toContain('hunter2pw');
  });

  test('plain http tokenUri is a TypeError', () => {
    const error = attachError({ tokenUri: 'http://sso.example.test/token' });
    expect(error.message).toContain('https');
  });

  test.each([[[]], [''], ['  '], [5], [[1, 2]]])('scopes %p is rejected', (scopes) => {
    const error = attachError({ scopes });
    expect(error.message).toContain('`scopes`');
  });
});

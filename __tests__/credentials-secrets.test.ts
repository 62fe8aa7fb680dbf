import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CredentialsError, loadServiceAccount } from '../lib/index.js';
import { generateCredentials } from '../lib/testing/index.js';

const generated = generateCredentials({
  alg: 'RS256',
  tokenUri: 'https://sso.example.test/oauth2/token',
  audience: 'https://iam.example.test',
});
const json = JSON.stringify(generated.credentials);
const keyBody = generated.credentials.private_key.split('\n')[1] ?? '';

function failure(run: () => unknown): CredentialsError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CredentialsError);
    return error as CredentialsError;
  }
  throw new Error('expected a CredentialsError');
}

describe('credentials secrets', () => {
  test('env var may hold the JSON text', () => {
    const account = loadServiceAccount(undefined, { VENDASTA_APPLICATION_CREDENTIALS: json });
    expect(account.clientEmail).toBe(generated.credentials.client_email);
    expect(account.source).toBe('inline');
  });

  test('env var with a PEM key is not echoed', () => {
    const error = failure(() =>
      loadServiceAccount(undefined, { VENDASTA_APPLICATION_CREDENTIALS: generated.credentials.private_key }),
    );
    expect(error.code).toBe('ERR_CREDENTIALS_INVALID');
    expect(error.message).toContain('VENDASTA_APPLICATION_CREDENTIALS');
    expect(error.message).not.toContain(keyBody);
    expect(error.message).not.toContain('BEGIN');
  });

  test('PEM key as credentials is not echoed', () => {
    const error = failure(() => loadServiceAccount(generated.credentials.private_key));
    expect(error.code).toBe('ERR_CREDENTIALS_INVALID');
    expect(error.message).not.toContain(keyBody);
  });

  test('damaged JSON text is not echoed', () => {
    const error = failure(() => loadServiceAccount(json.slice(0, -1)));
    expect(error.code).toBe('ERR_CREDENTIALS_INVALID');
    expect(error.message).not.toContain(keyBody);
  });

  test.each(['type', 'token_uri'] as const)('key pasted into %s is not echoed', (field) => {
    const broken = { ...generated.credentials, [field]: generated.credentials.private_key };
    const error = failure(() => loadServiceAccount(broken));
    expect(error.field).toBe(field);
    expect(error.message).not.toContain(keyBody);
    expect(error.message).toMatch(/not shown/);
  });

  test('key pasted into alg is not echoed', () => {
    const broken = {
      ...generated.credentials,
      assertionHeaderData: { ...generated.credentials.assertionHeaderData, alg: generated.credentials.private_key },
    };
    const error = failure(() => loadServiceAccount(broken));
    expect(error.field).toBe('assertionHeaderData.alg');
    expect(error.message).not.toContain(keyBody);
  });

  test('token_uri with a password is rejected', () => {
    const broken = { ...generated.credentials, token_uri: 'https://alice:hunter2pw@sso.example.test/oauth2/token' };
    const error = failure(() => loadServiceAccount(broken));
    expect(error.field).toBe('token_uri');
    expect(error.message).not.toContain('hunter2pw');
  });

  test('Buffer credentials get a clear error', () => {
    const error = failure(() => loadServiceAccount(Buffer.from(json) as unknown as string));
    expect(error.message).toContain('Buffer');
  });

  test('file path still works', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'vaa-')), 'key.json');
    writeFileSync(path, json);
    expect(loadServiceAccount(path).source).toBe(path);
    expect(loadServiceAccount(undefined, { VENDASTA_APPLICATION_CREDENTIALS: path }).source).toBe(path);
  });
});

import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';

import { loadServiceAccount } from '../lib/credentials.js';
import { CredentialsError } from '../lib/errors.js';
import { generateCredentials } from '../lib/testing/index.js';

const tokenUri = 'http://127.0.0.1:9/oauth2/token';
const audience = 'https://iam.example.test';
const rsa = generateCredentials({ alg: 'RS256', tokenUri, audience });
const ec = generateCredentials({ alg: 'ES256', tokenUri, audience });
const rsaPem = rsa.credentials.private_key;
const ecPem = ec.credentials.private_key;

const dir = mkdtempSync(join(tmpdir(), 'vendasta-credentials-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function pem(kind: 'rsa1024' | 'p384' | 'ed25519' | 'encrypted-pkcs8' | 'encrypted-pkcs1' | 'public'): string {
  if (kind === 'rsa1024') {
    return generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  }
  if (kind === 'p384') {
    return generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ type: 'sec1', format: 'pem' }).toString();
  }
  if (kind === 'ed25519') {
    return generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  }
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  if (kind === 'public') return publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const type = kind === 'encrypted-pkcs8' ? 'pkcs8' : 'pkcs1';
  return privateKey.export({ type, format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' }).toString();
}

/** Returns valid RS256 credentials with `changes` applied, where `undefined` removes a field. */
function rsaWith(changes: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = JSON.parse(JSON.stringify(rsa.credentials));
  for (const [path, value] of Object.entries(changes)) {
    const [head, tail] = path.split('.') as [string, string | undefined];
    const target = tail === undefined ? copy : (copy[head] as Record<string, unknown>);
    const name = tail ?? head;
    if (value === undefined) delete target[name];
    else target[name] = value;
  }
  return copy;
}

function file(name: string, contents: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, contents);
  return path;
}

/** Lines of base64 key material in a PEM block, which no message may contain. */
function keyLines(text: string): string[] {
  return text
    .replace(/\\n/g, '\n')
    .split('\n')
    .filter((line) => /^[A-Za-z0-9+/=]{16,}$/.test(line.trim()))
    .map((line) => line.trim().slice(0, 16));
}

interface BadCase {
  name: string;
  input: () => unknown;
  code?: 'ERR_CREDENTIALS_INVALID' | 'ERR_CREDENTIALS_NOT_FOUND';
  field?: string;
  format?: string;
  message: RegExp;
  /** Key text that must not appear in the message. */
  secret?: string;
}

const truncatedPem = rsaPem.slice(0, Math.floor(rsaPem.length / 2)) + '\n-----END RSA PRIVATE KEY-----\n';
const damagedPem = rsaPem.replace(/\n([A-Za-z0-9+/]{10})/, '\n!!!!!!!!!!');
const googleKey = {
  type: 'service_account',
  project_id: 'demo-project',
  private_key_id: 'abc',
  private_key: rsaPem,
  client_email: 'robot@demo-project.iam.gserviceaccount.com',
  client_id: '1234567890',
  auth_uri: 'https://accounts.google.com/o/oauth2/auth',
  token_uri: 'https://oauth2.googleapis.com/token',
};

const cases: BadCase[] = [
  { name: 'nothing given', input: () => undefined, code: 'ERR_CREDENTIALS_NOT_FOUND', message: /VENDASTA_APPLICATION_CREDENTIALS/ },
  { name: 'file not found', input: () => join(dir, 'missing.json'), code: 'ERR_CREDENTIALS_NOT_FOUND', message: /not found: .*missing\.json/ },
  { name: 'path is a directory', input: () => dir, message: /could not be read: EISDIR/ },
  { name: 'empty string', input: () => '  ', message: /empty string/ },
  { name: 'number', input: () => 42, message: /file path, a JSON string or an object, not number/ },
  { name: 'array', input: () => [1, 2], field: '', message: /must be a JSON object/ },
  { name: 'trailing comma', input: () => '{"type": "service_account",}', message: /not valid JSON \(line 1, column \d+\)/ },
  { name: 'truncated JSON file', input: () => file('truncated.json', JSON.stringify(rsa.credentials).slice(0, 200)), message: /not valid JSON/, secret: rsaPem },
  { name: 'single quotes', input: () => "{'type': 'service_account'}", message: /not valid JSON \(line 1, column 2\)/ },
  { name: 'JSON syntax error on line 3', input: () => file('line3.json', '{\n  "type": "service_account",\n  "private_key" "x"\n}'), message: /line 3, column 17/ },
  { name: 'type missing, no key', input: () => rsaWith({ type: undefined, private_key: undefined }), field: 'type', message: /`type` .* is missing, expected "service_account"/ },
  { name: 'type wrong', input: () => rsaWith({ type: 'user' }), field: 'type', message: /`type` .* is "user"/ },
  { name: 'type holds key text', input: () => rsaWith({ type: rsaPem }), field: 'type', message: /is a string of \d+ characters/, secret: rsaPem },
  { name: 'assertionHeaderData wrong type', input: () => rsaWith({ assertionHeaderData: 'RS256' }), field: 'assertionHeaderData', message: /is "RS256", expected an object/ },
  { name: 'assertionPayloadData missing', input: () => rsaWith({ assertionPayloadData: undefined }), field: 'assertionPayloadData', message: /is missing, expected an object/ },
  { name: 'alg missing', input: () => rsaWith({ 'assertionHeaderData.alg': undefined }), field: 'assertionHeaderData.alg', message: /is missing, expected a non-empty string/ },
  { name: 'alg HS256', input: () => rsaWith({ 'assertionHeaderData.alg': 'HS256' }), field: 'assertionHeaderData.alg', message: /"HS256", but only RS256 and ES256/ },
  { name: 'kid empty', input: () => rsaWith({ 'assertionHeaderData.kid': '' }), field: 'assertionHeaderData.kid', message: /is an empty string/ },
  { name: 'kid a number', input: () => rsaWith({ 'assertionHeaderData.kid': 7 }), field: 'assertionHeaderData.kid', message: /is a number/ },
  { name: 'client_email null', input: () => rsaWith({ client_email: null }), field: 'client_email', message: /is null/ },
  { name: 'token_uri missing', input: () => rsaWith({ token_uri: undefined }), field: 'token_uri', message: /`token_uri` .* is missing/ },
  { name: 'token_uri not a URL', input: () => rsaWith({ token_uri: 'token endpoint' }), field: 'token_uri', message: /not a valid URL: a string of 14 characters \(not shown\)/ },
  { name: 'token_uri plain http', input: () => rsaWith({ token_uri: 'http://iam.example.com/token' }), field: 'token_uri', message: /must use https/ },
  { name: 'aud missing', input: () => rsaWith({ 'assertionPayloadData.aud': undefined }), field: 'assertionPayloadData.aud', message: /is missing/ },
  { name: 'private_key missing', input: () => rsaWith({ private_key: undefined }), field: 'private_key', message: /`private_key` .* is missing/ },
  { name: 'private_key an array', input: () => rsaWith({ private_key: [rsaPem] }), field: 'private_key', message: /is an array/, secret: rsaPem },
  { name: 'private_key not PEM', input: () => rsaWith({ private_key: 'MIIEowIBAAKCAQEAsecretsecretsecret' }), field: 'private_key', message: /not a PEM private key/, secret: 'MIIEowIBAAKCAQEAsecret' },
  { name: 'truncated PEM', input: () => rsaWith({ private_key: truncatedPem }), field: 'private_key', message: /truncated or damaged/, secret: rsaPem },
  { name: 'damaged base64', input: () => rsaWith({ private_key: damagedPem }), field: 'private_key', message: /truncated or damaged/, secret: rsaPem },
  { name: 'public key', input: () => rsaWith({ private_key: pem('public') }), field: 'private_key', message: /public key or certificate/ },
  { name: 'certificate', input: () => rsaWith({ private_key: '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----' }), field: 'private_key', message: /public key or certificate/ },
  { name: 'encrypted PKCS#8', input: () => rsaWith({ private_key: pem('encrypted-pkcs8') }), field: 'private_key', message: /is encrypted/ },
  { name: 'encrypted PKCS#1', input: () => rsaWith({ private_key: pem('encrypted-pkcs1') }), field: 'private_key', message: /is encrypted/ },
  { name: 'EC key with RS256', input: () => rsaWith({ private_key: ecPem }), field: 'private_key', message: /is an ec key, but assertionHeaderData\.alg RS256 needs an RSA key/, secret: ecPem },
  { name: 'RSA key with ES256', input: () => rsaWith({ 'assertionHeaderData.alg': 'ES256' }), field: 'private_key', message: /is an rsa key, but assertionHeaderData\.alg ES256 needs an EC key on P-256/, secret: rsaPem },
  { name: 'P-384 key with ES256', input: () => ({ ...ec.credentials, private_key: pem('p384') }), field: 'private_key', message: /EC key on secp384r1/ },
  { name: 'Ed25519 key with RS256', input: () => rsaWith({ private_key: pem('ed25519') }), field: 'private_key', message: /is an ed25519 key/ },
  { name: 'RSA key of 1024 bits', input: () => rsaWith({ private_key: pem('rsa1024') }), field: 'private_key', message: /1024 bits; RS256 needs at least 2048/ },
  { name: 'literal \\n and truncated', input: () => rsaWith({ private_key: truncatedPem.replace(/\n/g, '\\n') }), field: 'private_key', message: /truncated or damaged/, secret: rsaPem },
  { name: 'BOM then bad JSON', input: () => file('bom.json', `\uFEFF{"type": }`), message: /not valid JSON/ },
  { name: 'bare PEM file', input: () => file('key.pem', rsaPem), format: 'pem-key-only', message: /The credentials in file .*key\.pem are only a PEM key block/, secret: rsaPem },
  { name: 'bare PEM string', input: () => rsaPem, format: 'pem-key-only', message: /The credentials in `credentials` are only a PEM key block/, secret: rsaPem },
  { name: 'PKCS#12 file', input: () => file('key.p12', Buffer.from([0x30, 0x82, 0x0a, 0x1f, 0x02, 0x01, 0x03])), format: 'pkcs12', message: /PKCS#12 \(\.p12\)/ },
  { name: 'binary file', input: () => file('key.bin', Buffer.from([0x7b, 0x00, 0x01, 0x02])), format: 'pkcs12', message: /binary file, not JSON text/ },
  { name: 'Google service-account key', input: () => googleKey, field: 'assertionHeaderData', format: 'google-service-account', message: /Google Cloud service-account key/, secret: rsaPem },
  { name: 'Google user credentials', input: () => ({ type: 'authorized_user', client_id: 'x', client_secret: 'y', refresh_token: 'z' }), format: 'google-authorized-user', message: /Google user credentials/ },
  { name: 'older key JSON without type', input: () => ({ private_key: rsaPem, client_email: 'bot@example.com', private_key_id: 'k1' }), format: 'legacy-key-json', message: /older key format: .* no assertionHeaderData/, secret: rsaPem },
  { name: 'older key JSON with type', input: () => rsaWith({ assertionHeaderData: undefined, assertionPayloadData: undefined }), format: 'legacy-key-json', message: /older key format/, secret: rsaPem },
  { name: 'camel-case older key JSON', input: () => ({ privateKey: rsaPem, clientEmail: 'bot@example.com' }), format: 'legacy-key-json', message: /older key format/, secret: rsaPem },
  { name: 'API key file', input: () => ({ apiUser: 'ABC', apiKey: 'k-123' }), format: 'api-key', message: /an API key/ },
];

describe('loadServiceAccount rejects bad credentials', () => {
  test('corpus has at least 30 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    expect(keyLines(rsaPem).length).toBeGreaterThan(10);
    expect(keyLines(ecPem).length).toBeGreaterThan(1);
  });

  test.each(cases)('$name', ({ input, code = 'ERR_CREDENTIALS_INVALID', field, format, message, secret }) => {
    const value = input();
    let caught: unknown;
    try {
      loadServiceAccount(value as never, {});
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CredentialsError);
    const error = caught as CredentialsError;
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    if (field !== undefined) expect(error.field).toBe(field);
    if (format !== undefined) expect(error.format).toBe(format);
    if (format !== undefined) expect(error.message).toMatch(/Download a new key \(JSON\)/);

    const texts = [error.message, inspect(error, { depth: 5 }), JSON.stringify(error)];
    for (const line of keyLines(secret ?? rsaPem)) {
      for (const text of texts) expect(text).not.toContain(line);
    }
    expect(error.message).not.toContain('PRIVATE KEY-----\n');
  });
});

describe('loadServiceAccount accepts key variants', () => {
  test.each([
    ['RS256 PKCS#1', () => rsa.credentials],
    ['ES256 SEC1', () => ec.credentials],
    ['RS256 PKCS#8', () => generateCredentials({ alg: 'RS256', tokenUri, audience, pkcs8: true }).credentials],
    ['ES256 PKCS#8', () => generateCredentials({ alg: 'ES256', tokenUri, audience, pkcs8: true }).credentials],
    ['literal \\n in the key', () => rsaWith({ private_key: rsaPem.replace(/\n/g, '\\n') })],
    ['CRLF line ends', () => rsaWith({ private_key: rsaPem.replace(/\n/g, '\r\n') })],
    ['file with BOM', () => file('bom-ok.json', `\uFEFF${JSON.stringify(rsa.credentials)}`)],
  ])('%s', (_name, input) => {
    const account = loadServiceAccount(input() as never, {});
    expect(account.keyFingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.stringify(account)).not.toContain('PRIVATE');
    expect(inspect(account)).not.toContain('PRIVATE');
  });
});

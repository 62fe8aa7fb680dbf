import { createHash, createPublicKey } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import axios from 'axios';

import { startTokenServer, type LocalTokenServer } from '../lib/testing/index.js';
import { CliBuild, collect, LineWatcher, type CliResult } from './helpers/cli.js';

const cli = new CliBuild('cli-test');
const outputs: string[] = [];
const privateKeys: string[] = [];
let server: LocalTokenServer;
let rsaPath: string;
let ecPath: string;
let ecKid: string;
let scratch: string;

/** Runs the command and keeps its output for the final secret scan. */
async function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const result = await cli.run(args, env);
  outputs.push(result.stdout, result.stderr);
  return result;
}

/** Strips the armour lines and whitespace of a PEM key, leaving the base64 body that no output may contain. */
function keyBody(pem: string): string {
  return pem.replace(/-----[A-Z ]+-----|\s/g, '');
}

function fingerprintOf(path: string): string {
  const credentials = JSON.parse(readFileSync(path, 'utf8')) as { private_key: string };
  const der = createPublicKey(credentials.private_key).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 16);
}

/** Sends a token to the server's protected route and returns the HTTP status. */
async function statusWithToken(token: string): Promise<number> {
  const response = await axios.get(`${server.url}/oauth2/user-info`, {
    headers: { Authorization: `Bearer ${token}` },
    validateStatus: () => true,
  });
  return response.status;
}

beforeAll(async () => {
  cli.build();
  server = await startTokenServer();
  scratch = mkdtempSync(join(tmpdir(), 'vendasta-cli-test-'));
  const rsa = await server.createCredentials({ alg: 'RS256', dir: scratch });
  const ec = await server.createCredentials({ alg: 'ES256', dir: scratch });
  rsaPath = rsa.path;
  ecPath = ec.path;
  ecKid = ec.credentials.private_key_id;
  privateKeys.push(rsa.credentials.private_key, ec.credentials.private_key);
}, 60_000);

afterAll(async () => {
  await server?.close();
  rmSync(scratch, { recursive: true, force: true });
  cli.remove();
});

beforeEach(() => {
  server.clearFaults();
  server.resetCounters();
});

describe('vendasta-auth token', () => {
  test('prints only the token', async () => {
    const result = await run(['token', rsaPath, 'profile', 'email']);

    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const lines = result.stdout.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe('');
    expect(/^[\w-]{20,}$/.test(lines[0]!)).toBe(true);
    expect(await statusWithToken(lines[0]!)).toBe(200);
    expect(server.lastTokenRequest?.scopes).toEqual(['email', 'profile']);
  });

  test('header format prints Bearer token', async () => {
    const result = await run(['token', rsaPath, 'profile', '--format', 'header']);

    expect(result.code).toBe(0);
    const match = /^Bearer ([\w-]+)\n$/.exec(result.stdout);
    expect(match !== null).toBe(true);
    expect(await statusWithToken(match![1]!)).toBe(200);
  });

  test('json format adds expiry and scopes', async () => {
    const before = Date.now();
    const result = await run(['token', rsaPath, '-s', 'profile', '-s', 'email admin', '-f', 'json']);

    expect(result.code).toBe(0);
    const body = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(
      ['access_token', 'expires_at', 'expires_in', 'scopes', 'service_account', 'token_type'],
    );
    expect(body.token_type).toBe('Bearer');
    expect(body.scopes).toEqual(['admin', 'email', 'profile']);
    expect(body.service_account).toMatch(/@partner-service-account\.apigateway\.co$/);
    expect(body.expires_in).toBeGreaterThan(3500);
    expect(body.expires_in).toBeLessThanOrEqual(3600);
    const expiresAt = Date.parse(body.expires_at as string);
    expect(expiresAt).toBeGreaterThan(before + 3500_000);
    expect(expiresAt).toBeLessThan(Date.now() + 3601_000);
    expect(await statusWithToken(body.access_token as string)).toBe(200);
  });

  test('credentials from the environment variable', async () => {
    const result = await run(['token', 'profile'], { VENDASTA_APPLICATION_CREDENTIALS: ecPath });

    expect(result.code).toBe(0);
    expect(await statusWithToken(result.stdout.trim())).toBe(200);
    expect(server.lastTokenRequest?.kid).toBe(ecKid);
  });

  test('--credentials makes every argument a scope', async () => {
    const result = await run(['token', '--credentials', rsaPath, 'profile', 'email']);

    expect(result.code).toBe(0);
    expect(server.lastTokenRequest?.scopes).toEqual(['email', 'profile']);
  });

  test('--token-uri overrides the file', async () => {
    const credentials = JSON.parse(readFileSync(rsaPath, 'utf8')) as Record<string, unknown>;
    const elsewhere = join(scratch, 'elsewhere.json');
    // Nothing listens on port 9 of the loopback interface, so only the override can succeed.
    writeFileSync(elsewhere, JSON.stringify({ ...credentials, token_uri: 'http://127.0.0.1:9/oauth2/token' }));

    const result = await run(['token', elsewhere, 'profile', '--token-uri', server.tokenUri]);

    expect(result.code).toBe(0);
    expect(server.tokensIssued).toBe(1);
  });

  test('retry is reported on stderr', async () => {
    server.injectFaults({ status: 503 });

    const result = await run(['token', rsaPath, 'profile']);

    expect(result.code).toBe(0);
    expect(result.stderr).toContain('token request attempt 1 failed (ERR_TOKEN_REQUEST_FAILED), retrying');
    expect(server.tokenRequests).toBe(2);
  });

  test('rejected key exits 1', async () => {
    const { path, credentials } = await server.createCredentials({ dir: scratch });
    privateKeys.push(credentials.private_key);
    server.removeKey(credentials.private_key_id);

    const result = await run(['token', path, 'profile']);

    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^vendasta-auth: .+ \[ERR_OAUTH_INVALID_CLIENT\]\n$/);
  });

  test('missing credentials file exits 1', async () => {
    const result = await run(['token', join(scratch, 'missing.json'), 'profile']);

    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('Credentials file not found');
    expect(result.stderr).toContain('[ERR_CREDENTIALS_NOT_FOUND]');
  });

  test('missing ./ path is not a scope', async () => {
    const result = await run(['token', './missing-creds', 'profile'], { VENDASTA_APPLICATION_CREDENTIALS: rsaPath });

    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('[ERR_CREDENTIALS_NOT_FOUND]');
  });

  test('invalid credentials file exits 1', async () => {
    const { client_email: _email, ...withoutEmail } = JSON.parse(readFileSync(rsaPath, 'utf8')) as Record<string, unknown>;
    const broken = join(scratch, 'broken.json');
    writeFileSync(broken, JSON.stringify(withoutEmail));

    const result = await run(['token', broken, 'profile']);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('client_email');
    expect(result.stderr).toContain('[ERR_CREDENTIALS_INVALID]');
  });
});

describe('vendasta-auth check', () => {
  test('summarises the key offline', async () => {
    const credentials = JSON.parse(readFileSync(rsaPath, 'utf8')) as Record<string, string>;

    const result = await run(['check', rsaPath]);

    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(server.tokenRequests).toBe(0);
    const lines = Object.fromEntries(
      result.stdout.trim().split('\n').map((line) => [line.slice(0, 17).trim(), line.slice(17)]),
    );
    expect(lines).toEqual({
      credentials: rsaPath,
      'service account': credentials.client_email,
      'key id': credentials.private_key_id,
      algorithm: 'RS256',
      'key type': 'RSA 2048 bits',
      'key fingerprint': `sha256:${fingerprintOf(rsaPath)}`,
      'token URI': server.tokenUri,
      'test assertion': `signed and verified locally (RS256, kid ${credentials.private_key_id})`,
    });
  });

  test('json format for an ES256 key', async () => {
    const result = await run(['check', '--credentials', ecPath, '--format', 'json']);

    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as Record<string, string>;
    expect(report.algorithm).toBe('ES256');
    expect(report.keyType).toBe('EC P-256');
    expect(report.keyFingerprint).toBe(`sha256:${fingerprintOf(ecPath)}`);
    expect(report.token).toBeUndefined();
    expect(server.tokenRequests).toBe(0);
  });

  test('--online fetches a token', async () => {
    const result = await run(['check', rsaPath, '--online', '--scope', 'profile', '-f', 'json']);

    expect(result.code).toBe(0);
    expect(server.tokensIssued).toBe(1);
    const report = JSON.parse(result.stdout) as Record<string, string>;
    expect(report.token).toMatch(new RegExp(`^fetched from ${server.tokenUri} in \\d+ ms, expires in 3[56]\\d\\d s, scopes profile$`));
  });

  test('--online with a rejected key exits 1', async () => {
    const { path, credentials } = await server.createCredentials({ dir: scratch });
    privateKeys.push(credentials.private_key);
    server.removeKey(credentials.private_key_id);

    const result = await run(['check', path, '--online', '-s', 'profile']);

    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('[ERR_OAUTH_INVALID_CLIENT]');
  });

  test('key that does not match alg exits 1', async () => {
    const credentials = JSON.parse(readFileSync(ecPath, 'utf8')) as Record<string, unknown>;
    const mismatched = join(scratch, 'mismatched.json');
    writeFileSync(mismatched, JSON.stringify({ ...credentials, assertionHeaderData: { alg: 'RS256', kid: 'k1' } }));

    const result = await run(['check', mismatched]);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('needs an RSA key');
    expect(result.stderr).toContain('[ERR_CREDENTIALS_INVALID]');
  });
});

describe('vendasta-auth serve', () => {
  test('serves tokens and stops on SIGTERM', async () => {
    const child = cli.start(['serve']);
    const lines = new LineWatcher(child);
    const exited = collect(child, 30_000);
    const [, url] = await lines.waitFor(/^url\s+(\S+)$/, 15_000);
    const [, credentialsPath] = await lines.waitFor(/^credentials\s+(\S+)$/, 15_000);

    const token = await run(['token', credentialsPath!, 'profile']);
    const status = await axios.get(`${url}/oauth2/user-info`, {
      headers: { Authorization: `Bearer ${token.stdout.trim()}` },
      validateStatus: () => true,
    });
    child.kill('SIGTERM');
    const result = await exited;
    outputs.push(result.stdout, result.stderr);

    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(token.code).toBe(0);
    expect(status.status).toBe(200);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('SIGTERM received, stopping');
    expect(result.stderr).toContain('stopped after 1 token requests, 1 tokens issued and 1 API requests');
    expect(existsSync(dirname(credentialsPath!))).toBe(false);
  });

  test('json format, ES256 and SIGINT', async () => {
    const dir = mkdtempSync(join(scratch, 'serve-'));
    const child = cli.start(['serve', '--format', 'json', '--alg', 'ES256', '--credentials-dir', dir]);
    const lines = new LineWatcher(child);
    const exited = collect(child, 30_000);
    const [line] = await lines.waitFor(/^\{.*\}$/, 15_000);
    const printed = JSON.parse(line!) as { url: string; tokenUri: string; credentials: string };

    const check = await run(['check', printed.credentials, '--online', '-s', 'profile', '-f', 'json']);
    child.kill('SIGINT');
    const result = await exited;
    outputs.push(result.stdout, result.stderr);

    expect(printed.tokenUri).toBe(`${printed.url}/oauth2/token`);
    expect(dirname(printed.credentials)).toBe(dir);
    expect(check.code).toBe(0);
    expect((JSON.parse(check.stdout) as Record<string, string>).algorithm).toBe('ES256');
    expect(result.code).toBe(0);
    expect(existsSync(printed.credentials)).toBe(true);
  });

  test('port in use exits 1', async () => {
    const port = new URL(server.url).port;

    const result = await run(['serve', '--port', port]);

    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('EADDRINUSE');
  });
});

describe('help and version', () => {
  test.each([
    [['--help'], 'Usage: vendasta-auth <command>'],
    [['-h'], 'Usage: vendasta-auth <command>'],
    [['help'], 'Usage: vendasta-auth <command>'],
    [['help', 'token'], 'Usage: vendasta-auth token'],
    [['token', '--help'], 'Usage: vendasta-auth token'],
    [['check', '-h'], 'Usage: vendasta-auth check'],
    [['serve', '--help'], 'Usage: vendasta-auth serve'],
  ])('%j prints help', async (args, heading) => {
    const result = await run(args);

    expect(result.code).toBe(0);
    expect(result.stdout.startsWith(heading)).toBe(true);
    expect(result.stderr).toBe('');
  });

  test('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };

    const result = await run(['--version']);

    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${version}\n`);
  });
});

describe('usage errors exit 2', () => {
  const noCredentials = { VENDASTA_APPLICATION_CREDENTIALS: '' };
  const cases: Array<[string, () => string[], RegExp, NodeJS.ProcessEnv]> = [
    ['no command', () => [], /No command given/, {}],
    ['unknown command', () => ['tokens'], /Unknown command "tokens"/, {}],
    ['help for unknown command', () => ['help', 'nope'], /No help for unknown command "nope"/, {}],
    ['token unknown option', () => ['token', rsaPath, 'profile', '--bogus'], /Unknown option '--bogus'/, {}],
    ['token option without value', () => ['token', rsaPath, '--scope'], /--scope/, {}],
    ['token without scopes', () => ['token', rsaPath], /No scopes/, {}],
    ['token without credentials', () => ['token', 'profile'], /No credentials file/, noCredentials],
    ['token bad format', () => ['token', rsaPath, 'profile', '-f', 'xml'], /--format must be one of token, header, json, not "xml"/, {}],
    ['token ftp token URI', () => ['token', rsaPath, 'p', '--token-uri', 'ftp://127.0.0.1/t'], /must use https/, {}],
    ['token http to remote host', () => ['token', rsaPath, 'p', '--token-uri', 'http://example.com/t'], /must use https/, {}],
    ['token token URI not a URL', () => ['token', rsaPath, 'p', '--token-uri', 'not a url'], /not a valid URL/, {}],
    ['check extra argument', () => ['check', rsaPath, 'profile'], /Unexpected argument "profile"/, {}],
    ['check --online without scope', () => ['check', rsaPath, '--online'], /--online needs at least one --scope/, {}],
    ['check bad format', () => ['check', rsaPath, '-f', 'yaml'], /--format must be one of text, json/, {}],
    ['check without credentials', () => ['check'], /No credentials file/, noCredentials],
    ['check boolean with value', () => ['check', rsaPath, '--online=yes'], /--online/, {}],
    ['serve positional', () => ['serve', 'now'], /Unexpected argument "now"/, {}],
    ['serve port too large', () => ['serve', '--port', '70000'], /--port must be a whole number from 0 to 65535, not "70000"/, {}],
    ['serve port not a number', () => ['serve', '-p', 'http'], /--port must be a whole number/, {}],
    ['serve bad alg', () => ['serve', '--alg', 'HS256'], /--alg must be one of RS256, ES256/, {}],
    ['serve zero token lifetime', () => ['serve', '--token-lifetime', '0'], /--token-lifetime must be a whole number from 1 to 86400/, {}],
    ['serve empty host', () => ['serve', '--host', ' '], /--host must not be empty/, {}],
  ];

  // Every row has four values, because jest passes a `done` callback to a fourth parameter
  // that a row leaves out.
  test.each(cases)('%s', async (_name, args, message, env) => {
    const result = await run(args(), env);

    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/Run "vendasta-auth( \w+)? --help" for usage\.\n$/);
  });
});

test('no output contains a private key', () => {
  expect(outputs.length).toBeGreaterThan(50);
  expect(privateKeys.length).toBeGreaterThanOrEqual(2);
  const joined = outputs.join('\n');
  for (const pem of privateKeys) {
    const body = keyBody(pem);
    // Any 40-character slice of the key would be a leak, so test several.
    for (let start = 0; start + 40 <= body.length; start += 200) {
      expect(joined.includes(body.slice(start, start + 40))).toBe(false);
    }
  }
});

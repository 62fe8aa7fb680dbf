import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { detectUnsupportedFormat, detectUnsupportedText } from './credentials-formats.js';
import { CredentialsError } from './errors.js';

/** The environment variable that names the credentials file when no `credentials` option is set. */
export const CREDENTIALS_ENV = 'VENDASTA_APPLICATION_CREDENTIALS';

/** Signing algorithms that Vendasta issues service-account keys for. */
export type AssertionAlgorithm = 'RS256' | 'ES256';

/** A service-account credentials file as Vendasta issues it. */
export interface ServiceAccountCredentialsJson {
  type: 'service_account';
  private_key_id: string;
  private_key: string;
  client_email: string;
  token_uri: string;
  assertionHeaderData: { alg: string; kid: string };
  assertionPayloadData: { aud: string; iss: string; sub: string };
}

/** Credentials input: a file path, a JSON string or a parsed object. */
export type CredentialsInput = string | Record<string, unknown> | ServiceAccountCredentialsJson;

/**
 * A validated service account. The private key is a parsed `KeyObject` that neither
 * `JSON.stringify` nor `util.inspect` can reveal.
 */
/** The fields of a `ServiceAccount`. */
export interface ServiceAccountFields {
  clientEmail: string;
  keyId: string;
  algorithm: AssertionAlgorithm;
  tokenUri: string;
  audience: string;
  issuer: string;
  subject: string;
  keyFingerprint: string;
  source: string;
  privateKey: KeyObject;
}

export class ServiceAccount {
  readonly clientEmail: string;
  readonly keyId: string;
  readonly algorithm: AssertionAlgorithm;
  readonly tokenUri: string;
  readonly audience: string;
  readonly issuer: string;
  readonly subject: string;
  /** Short SHA-256 fingerprint of the public key, safe to log. */
  readonly keyFingerprint: string;
  /** Origin of the credentials: a file path, or `'inline'`. */
  readonly source: string;
  readonly #privateKey: KeyObject;

  constructor(fields: ServiceAccountFields) {
    this.clientEmail = fields.clientEmail;
    this.keyId = fields.keyId;
    this.algorithm = fields.algorithm;
    this.tokenUri = fields.tokenUri;
    this.audience = fields.audience;
    this.issuer = fields.issuer;
    this.subject = fields.subject;
    this.keyFingerprint = fields.keyFingerprint;
    this.source = fields.source;
    this.#privateKey = fields.privateKey;
  }

  get privateKey(): KeyObject {
    return this.#privateKey;
  }

  /** Returns a copy with another token endpoint. */
  withTokenUri(tokenUri: string): ServiceAccount {
    return new ServiceAccount({ ...this.#fields(), tokenUri });
  }

  #fields(): ServiceAccountFields {
    const { clientEmail, keyId, algorithm, tokenUri, audience, issuer, subject, keyFingerprint, source } = this;
    return { clientEmail, keyId, algorithm, tokenUri, audience, issuer, subject, keyFingerprint, source, privateKey: this.#privateKey };
  }

  toJSON(): Record<string, string> {
    return {
      clientEmail: this.clientEmail,
      keyId: this.keyId,
      algorithm: this.algorithm,
      tokenUri: this.tokenUri,
      keyFingerprint: this.keyFingerprint,
    };
  }
}

/**
 * Loads and validates service-account credentials, and parses the private key once.
 *
 * With no input, reads the file named by `VENDASTA_APPLICATION_CREDENTIALS`. A string that starts
 * with `{` is parsed as JSON, and any other string is a file path.
 *
 * @throws {CredentialsError} `ERR_CREDENTIALS_NOT_FOUND` or `ERR_CREDENTIALS_INVALID`, naming the
 *   field and what to do.
 */
export function loadServiceAccount(
  input: CredentialsInput | undefined,
  env: NodeJS.ProcessEnv = process.env,
): ServiceAccount {
  const { json, source } = readCredentials(input, env);
  return parseServiceAccount(json, source);
}

function readCredentials(
  input: CredentialsInput | undefined,
  env: NodeJS.ProcessEnv,
): { json: unknown; source: string } {
  if (input === undefined || input === null) {
    const path = env[CREDENTIALS_ENV];
    if (path === undefined || path.trim() === '') {
      throw new CredentialsError(
        'ERR_CREDENTIALS_NOT_FOUND',
        `No credentials were given: pass the \`credentials\` option, or set ${CREDENTIALS_ENV} to the path of the service-account JSON file downloaded from Vendasta.`,
      );
    }
    return readCredentialsText(path, CREDENTIALS_ENV);
  }

  if (typeof input === 'string') {
    if (input.trim() === '') {
      throw new CredentialsError(
        'ERR_CREDENTIALS_INVALID',
        'The `credentials` option is an empty string: pass a file path, a JSON string or an object.',
      );
    }
    return readCredentialsText(input, '`credentials`');
  }

  if (Buffer.isBuffer(input) || input instanceof Uint8Array) {
    throw new CredentialsError(
      'ERR_CREDENTIALS_INVALID',
      'The `credentials` option is a Buffer: pass the file path, the JSON text (buffer.toString()) or the parsed object.',
    );
  }

  if (typeof input === 'object') {
    return { json: input, source: 'inline' };
  }

  throw new CredentialsError(
    'ERR_CREDENTIALS_INVALID',
    `The \`credentials\` option must be a file path, a JSON string or an object, not ${typeof input}.`,
  );
}

/**
 * Reads credentials from a string that is either the JSON text or a file path. Text that looks
 * like key material or JSON is never echoed in an error, because it may contain the private key.
 */
function readCredentialsText(value: string, origin: string): { json: unknown; source: string } {
  const text = stripBom(value).trim();
  detectUnsupportedText(text, origin);
  if (text.startsWith('{')) {
    return { json: parseJson(text, origin), source: 'inline' };
  }
  if (/-----BEGIN|[\r\n{}]/.test(text) || text.length > 4096) {
    throw new CredentialsError(
      'ERR_CREDENTIALS_INVALID',
      `The value of ${origin} is neither a file path nor service-account JSON (it looks like key material or a damaged file, and is not shown). Pass the path of the JSON file downloaded from Vendasta, or its whole JSON text.`,
    );
  }
  return { json: parseJson(readFile(text, origin), text), source: text };
}

function readFile(path: string, origin: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new CredentialsError(
        'ERR_CREDENTIALS_NOT_FOUND',
        `Credentials file not found: ${path} (from ${origin}). Check the path, or download a service-account key from Vendasta.`,
        { cause: error },
      );
    }
    throw new CredentialsError(
      'ERR_CREDENTIALS_INVALID',
      `Credentials file ${path} (from ${origin}) could not be read: ${code ?? 'unknown error'}. Check that the file exists and that this process may read it.`,
      { cause: error },
    );
  }
  detectUnsupportedText(bytes, `file ${path}`);
  return bytes.toString('utf8');
}

function parseJson(text: string, origin: string): unknown {
  const json = stripBom(text);
  try {
    return JSON.parse(json);
  } catch (error) {
    // The parser's message can quote the text around the error, which may be key material, so
    // only the position is kept.
    throw new CredentialsError(
      'ERR_CREDENTIALS_INVALID',
      `Credentials in ${origin} are not valid JSON${locateSyntaxError(error, json)}. Download the service-account file again instead of editing it by hand.`,
    );
  }
}

/** Returns ` (line L, column C)` for a JSON.parse error that states a position, else ''. */
function locateSyntaxError(error: unknown, text: string): string {
  const match = /position (\d+)/.exec(error instanceof Error ? error.message : '');
  if (match === null) return /end of JSON input/.test(String(error)) ? ' (the text ends too early)' : '';
  const before = text.slice(0, Number(match[1])).split('\n');
  return ` (line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1})`;
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function parseServiceAccount(json: unknown, source: string): ServiceAccount {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw invalid('', `Credentials from ${source} must be a JSON object.`);
  }
  const fields = json as Record<string, unknown>;
  detectUnsupportedFormat(fields, source);

  if (fields.type !== 'service_account') {
    throw invalid(
      'type',
      `Field \`type\` in credentials from ${source} is ${describe(fields.type)}, expected "service_account". Download a service-account key (JSON) from Vendasta.`,
    );
  }

  const header = requireObject(fields, 'assertionHeaderData', source);
  const payload = requireObject(fields, 'assertionPayloadData', source);
  const algorithm = requireString(header, 'alg', source, 'assertionHeaderData.');
  if (algorithm !== 'RS256' && algorithm !== 'ES256') {
    throw invalid(
      'assertionHeaderData.alg',
      `Field \`assertionHeaderData.alg\` in credentials from ${source} is ${describe(algorithm)}, but only RS256 and ES256 are supported.`,
    );
  }
  const keyId = requireString(header, 'kid', source, 'assertionHeaderData.');
  const clientEmail = requireString(fields, 'client_email', source);
  const tokenUri = requireString(fields, 'token_uri', source);
  validateTokenUri(tokenUri, `token_uri in credentials from ${source}`);

  const privateKey = parsePrivateKey(requireString(fields, 'private_key', source), algorithm, source);
  const fingerprint = createHash('sha256')
    .update(createPublicKey(privateKey).export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);

  return new ServiceAccount({
    clientEmail,
    keyId,
    algorithm,
    tokenUri,
    audience: requireString(payload, 'aud', source, 'assertionPayloadData.'),
    issuer: requireString(payload, 'iss', source, 'assertionPayloadData.'),
    subject: requireString(payload, 'sub', source, 'assertionPayloadData.'),
    keyFingerprint: fingerprint,
    source,
    privateKey,
  });
}

/**
 * Parses a PEM private key: PKCS#1, PKCS#8 or SEC1, also with newlines escaped as `\n`, and checks
 * that its type fits `algorithm`.
 */
export function parsePrivateKey(pem: string, algorithm: AssertionAlgorithm, source: string): KeyObject {
  const text = stripBom(pem).replace(/\\r\\n|\\n/g, '\n').trim();
  const field = 'private_key';

  if (/-----BEGIN (RSA |EC )?PUBLIC KEY-----|-----BEGIN CERTIFICATE-----/.test(text)) {
    throw invalid(field, `Field \`private_key\` in credentials from ${source} contains a public key or certificate, not a private key. Download the service-account key file again.`);
  }
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(text)) {
    throw invalid(field, `Field \`private_key\` in credentials from ${source} is encrypted. Use the unencrypted key file that Vendasta issues.`);
  }
  if (!/^-----BEGIN (RSA |EC )?PRIVATE KEY-----/.test(text)) {
    throw invalid(field, `Field \`private_key\` in credentials from ${source} is not a PEM private key (expected a "-----BEGIN ... PRIVATE KEY-----" block).`);
  }

  let key: KeyObject;
  try {
    key = createPrivateKey({ key: text, format: 'pem' });
  } catch (error) {
    // OpenSSL's message never contains the key, but it is not useful to users either.
    throw invalid(field, `Field \`private_key\` in credentials from ${source} could not be parsed as a PEM private key: it may be truncated or damaged. Download the key file again.`);
  }

  const keyType = key.asymmetricKeyType;
  if (algorithm === 'RS256' && keyType !== 'rsa') {
    throw invalid(field, `Field \`private_key\` in credentials from ${source} is an ${keyType ?? 'unknown'} key, but assertionHeaderData.alg RS256 needs an RSA key.`);
  }
  if (algorithm === 'RS256' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    throw invalid(field, `Field \`private_key\` in credentials from ${source} is an RSA key of ${key.asymmetricKeyDetails?.modulusLength} bits; RS256 needs at least 2048.`);
  }
  if (algorithm === 'ES256' && (keyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')) {
    const actual = keyType === 'ec' ? `an EC key on ${key.asymmetricKeyDetails?.namedCurve}` : `an ${keyType ?? 'unknown'} key`;
    throw invalid(field, `Field \`private_key\` in credentials from ${source} is ${actual}, but assertionHeaderData.alg ES256 needs an EC key on P-256.`);
  }
  return key;
}

/** Checks that a token endpoint URL is https, or http to a loopback address for local tests. */
export function validateTokenUri(value: string, origin: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid('token_uri', `The ${origin} is not a valid URL: ${describe(value)}.`);
  }
  if (url.username !== '' || url.password !== '') {
    throw invalid('token_uri', `The ${origin} must not contain a user name or password (${url.protocol}//${url.host}). The service account authenticates with its signed assertion.`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw invalid('token_uri', `The ${origin} must use https (plain http is allowed only for localhost): ${url.origin}.`);
  }
  return url;
}

/** Returns whether a URL host name is a loopback address. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

function requireObject(fields: Record<string, unknown>, name: string, source: string): Record<string, unknown> {
  const value = fields[name];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(name, `Field \`${name}\` in credentials from ${source} is ${describe(value)}, expected an object. Download the service-account file again.`);
  }
  return value as Record<string, unknown>;
}

function requireString(fields: Record<string, unknown>, name: string, source: string, prefix = ''): string {
  const value = fields[name];
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalid(`${prefix}${name}`, `Field \`${prefix}${name}\` in credentials from ${source} is ${describe(value)}, expected a non-empty string. Download the service-account file again.`);
  }
  return value;
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    if (value === '') return 'an empty string';
    // Only short, plain values are echoed, so a key pasted into the wrong field never is.
    return /^[\w.@:/+-]{1,64}$/.test(value) ? `"${value}"` : `a string of ${value.length} characters (not shown)`;
  }
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function invalid(field: string, message: string): CredentialsError {
  return new CredentialsError('ERR_CREDENTIALS_INVALID', message, { field });
}

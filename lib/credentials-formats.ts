import { CredentialsError, type UnsupportedCredentialsFormat } from './errors.js';

/** Description of a usable file, for messages. */
const EXPECTED =
  'This flow needs a Vendasta service-account key: a JSON file with type "service_account", private_key, client_email, token_uri, assertionHeaderData and assertionPayloadData. Download a new key (JSON) for the service account from Vendasta.';

/**
 * Rejects file or string contents that are not JSON text but another key container: a bare PEM
 * key, or a binary (DER or PKCS#12) file.
 */
export function detectUnsupportedText(contents: string | Buffer, origin: string): void {
  if (Buffer.isBuffer(contents)) {
    if (isDerSequence(contents)) {
      throw unsupported('pkcs12', `The credentials in ${origin} are a binary DER file, such as a PKCS#12 (.p12) key or certificate, not JSON.`);
    }
    if (contents.includes(0)) {
      throw unsupported('pkcs12', `The credentials in ${origin} are a binary file, not JSON text.`);
    }
    contents = contents.toString('utf8');
  }
  const text = contents.replace(/^\uFEFF/, '').trimStart();
  if (text.startsWith('-----BEGIN')) {
    throw unsupported('pem-key-only', `The credentials in ${origin} are only a PEM key block, not a service-account JSON file, so the service account, key id and token endpoint are unknown.`);
  }
}

/**
 * Rejects JSON credentials of another format: Vendasta keys without `assertionHeaderData`, Google
 * Cloud service-account keys, Google user credentials and API keys. Each message names the
 * format found.
 */
export function detectUnsupportedFormat(fields: Record<string, unknown>, source: string): void {
  const found = classify(fields);
  if (found === undefined) return;
  throw unsupported(found.format, `Credentials from ${source} are ${found.description}.`, 'assertionHeaderData');
}

function classify(fields: Record<string, unknown>): { format: UnsupportedCredentialsFormat; description: string } | undefined {
  if ('assertionHeaderData' in fields) return undefined;
  const has = (...names: string[]) => names.some((name) => name in fields);

  if (fields.type === 'authorized_user') {
    return { format: 'google-authorized-user', description: 'Google user credentials (type "authorized_user", with a refresh token), not a service-account key' };
  }
  if (has('auth_uri', 'auth_provider_x509_cert_url', 'client_x509_cert_url', 'project_id', 'universe_domain')) {
    return {
      format: 'google-service-account',
      description: 'a Google Cloud service-account key (it has fields such as project_id or auth_uri and no assertionHeaderData), which Vendasta does not accept',
    };
  }
  if (has('private_key', 'privateKey') && has('client_email', 'clientEmail')) {
    return {
      format: 'legacy-key-json',
      description: 'an older key format: it has a private key and a client email but no assertionHeaderData or assertionPayloadData, so the key id and audience are unknown',
    };
  }
  if (has('api_key', 'apiKey', 'api_user', 'apiUser') && !has('private_key')) {
    return { format: 'api-key', description: 'an API key (api_key or apiKey), which the service-account token flow does not use' };
  }
  return undefined;
}

/** Returns whether bytes start with a DER SEQUENCE of long-form length, as PKCS#12 and DER key files do. */
function isDerSequence(bytes: Buffer): boolean {
  return bytes.length > 4 && bytes[0] === 0x30 && bytes[1]! >= 0x81 && bytes[1]! <= 0x84;
}

function unsupported(format: UnsupportedCredentialsFormat, found: string, field = ''): CredentialsError {
  return new CredentialsError('ERR_CREDENTIALS_INVALID', `${found} ${EXPECTED}`, { field, format });
}

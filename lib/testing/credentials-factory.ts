import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { AssertionAlgorithm, ServiceAccountCredentialsJson } from '../credentials.js';

export type { AssertionAlgorithm };

/** Service-account key file, in the JSON layout that Vendasta issues. */
export type ServiceAccountCredentials = ServiceAccountCredentialsJson;

/** Options of {@link generateCredentials}. */
export interface GenerateCredentialsOptions {
  alg: AssertionAlgorithm;
  /** Token endpoint written to `token_uri`. */
  tokenUri: string;
  /** Expected `aud` claim written to `assertionPayloadData.aud`. */
  audience: string;
  /** Defaults to `test-<random hex>@partner-service-account.apigateway.co`. */
  clientEmail?: string;
  /** Writes the private key as PKCS#8 instead of PKCS#1 (RSA) or SEC1 (EC). */
  pkcs8?: boolean;
}

/** Credentials and the key pair behind them. */
export interface GeneratedCredentials {
  credentials: ServiceAccountCredentials;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/**
 * Generates a key pair (RSA 2048 for RS256, P-256 for ES256) and the service-account credentials
 * that use it, without writing a file or registering the key with a server.
 *
 * The key id is random hex and is used as both `private_key_id` and the header `kid`.
 */
export function generateCredentials(options: GenerateCredentialsOptions): GeneratedCredentials {
  const { alg, tokenUri, audience } = options;
  const pair =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  let encoding: 'pkcs8' | 'pkcs1' | 'sec1' = alg === 'RS256' ? 'pkcs1' : 'sec1';
  if (options.pkcs8) {
    encoding = 'pkcs8';
  }
  const privateKeyPem = pair.privateKey.export({ type: encoding, format: 'pem' }).toString();

  const kid = randomBytes(16).toString('hex');
  const clientEmail =
    options.clientEmail ??
    `test-${randomBytes(4).toString('hex')}@partner-service-account.apigateway.co`;

  const credentials: ServiceAccountCredentials = {
    type: 'service_account',
    private_key_id: kid,
    private_key: privateKeyPem,
    client_email: clientEmail,
    token_uri: tokenUri,
    assertionHeaderData: { alg, kid },
    assertionPayloadData: { aud: audience, iss: clientEmail, sub: clientEmail },
  };
  return { credentials, privateKey: pair.privateKey, publicKey: pair.publicKey };
}

/**
 * Writes credentials as a JSON file with mode 0o600 and returns its path.
 *
 * Without `dir`, the file goes into a new `vendasta-auth-*` folder under the OS temp directory,
 * and `createdDir` names that folder so the caller can remove it.
 */
export async function writeCredentialsFile(
  credentials: ServiceAccountCredentials,
  dir?: string,
): Promise<{ path: string; createdDir?: string }> {
  const createdDir =
    dir === undefined ? await mkdtemp(join(tmpdir(), 'vendasta-auth-')) : undefined;
  // A folder the caller names is created if missing, owner-only like the key file, and kept.
  if (dir !== undefined) await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir ?? createdDir!, `service-account-${credentials.private_key_id}.json`);
  // 'wx' fails instead of overwriting an existing file, and the mode keeps the key owner-only.
  await writeFile(path, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return createdDir === undefined ? { path } : { path, createdDir };
}

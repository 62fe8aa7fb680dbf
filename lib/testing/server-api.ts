import type { KeyObject } from 'node:crypto';

import type { AssertionAlgorithm, ServiceAccountCredentials } from './credentials-factory.js';
import type { Fault } from './fault-injection.js';
import type { TokenRequestRecord } from './token-endpoint.js';

/** Options of {@link startTokenServer}. */
export interface TokenServerOptions {
  /** Interface to listen on. Defaults to '127.0.0.1'. */
  host?: string;
  /** Port to listen on. Defaults to 0, a free port chosen by the OS. */
  port?: number;
  /** `expires_in` of issued tokens, in seconds. Defaults to 3600. */
  tokenLifetimeSeconds?: number;
  /** Expected `aud` claim. Defaults to the server's origin, such as 'http://127.0.0.1:PORT'. */
  audience?: string;
  /** Rejects assertions without a `jti`, or with a `jti` already used. Defaults to false. */
  requireJti?: boolean;
  /** Offset of the server clock from `Date.now()`, in milliseconds. Defaults to 0. */
  clockOffsetMs?: number;
  /** How far `iat` may be ahead of the server clock, in seconds. Defaults to 30. */
  iatToleranceSeconds?: number;
}

/** Options of {@link LocalTokenServer.createCredentials}. */
export interface CreateCredentialsOptions {
  /** Defaults to 'RS256'. */
  alg?: AssertionAlgorithm;
  clientEmail?: string;
  /** Folder for the key file. Defaults to a new temporary folder that close() removes. */
  dir?: string;
  /** Writes the private key as PKCS#8 instead of PKCS#1 (RSA) or SEC1 (EC). */
  pkcs8?: boolean;
}

/** Running token server that behaves like Vendasta's service-account token endpoint. */
export interface LocalTokenServer {
  /** Origin of the server, such as 'http://127.0.0.1:PORT'. */
  readonly url: string;
  /** Token endpoint, `url + '/oauth2/token'`. */
  readonly tokenUri: string;
  /** Expected `aud` claim of assertions. */
  readonly audience: string;
  /** Offset of the server clock from `Date.now()`, in milliseconds. */
  clockOffsetMs: number;
  /** `expires_in` of tokens issued from now on, in seconds. */
  tokenLifetimeSeconds: number;
  /** POST requests to the token endpoint, including rejected and faulted ones. */
  readonly tokenRequests: number;
  readonly tokensIssued: number;
  /** Requests to `/api/*` and `/oauth2/user-info`. */
  readonly apiRequests: number;
  /** Summary of the last token request, or undefined when it carried no decodable assertion. */
  readonly lastTokenRequest: TokenRequestRecord | undefined;
  /** Generates a key pair, writes a key file in Vendasta's format and trusts its public key. */
  createCredentials(options?: CreateCredentialsOptions): Promise<{
    path: string;
    credentials: ServiceAccountCredentials;
    publicKey: KeyObject;
  }>;
  /** Trusts a public key made elsewhere for `kid` and the service account `clientEmail`. */
  registerKey(kid: string, publicKey: KeyObject, clientEmail: string): void;
  /** Stops trusting `kid`, so assertions signed with it get 401 invalid_client. */
  removeKey(kid: string): void;
  /** Queues faults. Each token request takes the next one in place of the normal response. */
  injectFaults(...faults: Fault[]): void;
  clearFaults(): void;
  /** Revokes every token issued so far, so protected routes return 401 for them. */
  revokeAll(): void;
  revokeToken(accessToken: string): void;
  /** Sets tokenRequests, tokensIssued and apiRequests to 0 and clears lastTokenRequest. */
  resetCounters(): void;
  /** Closes the server and destroys every open connection, including hung requests. */
  close(): Promise<void>;
}

import { randomUUID } from 'node:crypto';

import { SignJWT } from 'jose';

import type { ServiceAccount } from './credentials.js';

/** Vendasta rejects assertions whose `exp` is more than 10 minutes after `iat`. */
export const MAX_ASSERTION_LIFETIME_SECONDS = 600;

/**
 * `iat` is set this far in the past, so a server whose clock runs slightly behind ours does not
 * see an assertion issued in the future. Capped at a quarter of the assertion's lifetime.
 */
export const ASSERTION_BACKDATE_SECONDS = 30;

export interface AssertionOptions {
  /** The scopes, joined with spaces into the `scope` claim. */
  scopes: readonly string[];
  /** Seconds between `iat` and `exp`, at most 600. */
  lifetimeSeconds: number;
  /**
   * The current time in milliseconds, read once so that `iat` and `exp` agree. Pass the token
   * endpoint's time when a clock offset is known.
   */
  nowMs: number;
  /** `aud` claim in place of the credentials' `assertionPayloadData.aud`. */
  audience?: string | undefined;
}

/**
 * Signs the JWT assertion that a service account exchanges for an access token.
 *
 * Every call sets a fresh random `jti`, which Vendasta ignores and standard servers require.
 * `iat` is backdated by up to {@link ASSERTION_BACKDATE_SECONDS}, and `exp - iat` equals the
 * lifetime, so it never exceeds 600 seconds.
 */
export async function signAssertion(account: ServiceAccount, options: AssertionOptions): Promise<string> {
  const lifetime = Math.min(Math.floor(options.lifetimeSeconds), MAX_ASSERTION_LIFETIME_SECONDS);
  const backdate = Math.min(ASSERTION_BACKDATE_SECONDS, Math.floor(lifetime / 4));
  const issuedAt = Math.floor(options.nowMs / 1000) - backdate;

  return new SignJWT({ scope: options.scopes.join(' ') })
    .setProtectedHeader({ alg: account.algorithm, kid: account.keyId, typ: 'JWT' })
    .setIssuer(account.issuer)
    .setSubject(account.subject)
    .setAudience(options.audience ?? account.audience)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + lifetime)
    .setJti(randomUUID())
    .sign(account.privateKey);
}

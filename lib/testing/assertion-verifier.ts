import type { KeyObject } from 'node:crypto';
import {
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
  type ProtectedHeaderParameters,
} from 'jose';

/** Maximum lifetime of an assertion, `exp - iat`, in seconds. */
export const MAX_ASSERTION_LIFETIME_SECONDS = 600;

/** Token endpoint error as RFC 6749 section 5.2 describes it, with the HTTP status to send. */
export class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    description: string,
  ) {
    super(description);
    this.name = 'OAuthError';
  }
}

/** Public key that the server trusts for one `kid`, and the service account it belongs to. */
export interface TrustedKey {
  publicKey: KeyObject;
  clientEmail: string;
}

/** Server settings and state that an assertion is checked against. */
export interface AssertionPolicy {
  audience: string;
  /** Server clock, in milliseconds since the epoch. */
  nowMs: number;
  iatToleranceSeconds: number;
  requireJti: boolean;
  keys: ReadonlyMap<string, TrustedKey>;
  /** `jti` values already accepted, mapped to the `exp` of their assertion in seconds. */
  usedJtis: Map<string, number>;
}

/** Claims of an assertion that passed every check. */
export interface VerifiedAssertion {
  kid: string;
  sub: string;
  scopes: string[];
  iat: number;
  exp: number;
  jti?: string;
}

const invalidGrant = (description: string): OAuthError =>
  new OAuthError(400, 'invalid_grant', description);

/**
 * Verifies a JWT-bearer assertion and returns its claims, or throws an {@link OAuthError}.
 *
 * Checks run in a fixed order (header, signature, aud, iss, sub, exp, lifetime, iat, scope, jti),
 * so a test that breaks one claim gets the error for that claim. Error descriptions name the
 * header field or claim and never contain the assertion or key material.
 */
export async function verifyAssertion(
  assertion: string,
  policy: AssertionPolicy,
): Promise<VerifiedAssertion> {
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(assertion);
  } catch {
    throw invalidGrant('assertion is not a valid JWT');
  }
  const { alg, kid } = header;
  if (alg !== 'RS256' && alg !== 'ES256') {
    throw invalidGrant('JWT header alg must be RS256 or ES256');
  }
  if (typeof kid !== 'string' || kid === '') {
    throw invalidGrant('JWT header kid is missing');
  }
  const key = policy.keys.get(kid);
  if (key === undefined) {
    throw new OAuthError(401, 'invalid_client', 'JWT header kid does not name a known key');
  }
  const expectedKeyType = alg === 'RS256' ? 'rsa' : 'ec';
  if (key.publicKey.asymmetricKeyType !== expectedKeyType) {
    throw invalidGrant(`JWT header alg ${alg} does not match the key registered for kid`);
  }

  const nowSeconds = Math.floor(policy.nowMs / 1000);
  const { payload, deferredClaim } = await verifySignature(assertion, key.publicKey, alg, policy);

  if (!audienceMatches(payload.aud, policy.audience)) {
    throw invalidGrant(`aud claim must be "${policy.audience}"`);
  }
  if (payload.iss !== key.clientEmail) {
    throw invalidGrant('iss claim must be the client_email of the key named by kid');
  }
  if (payload.sub !== key.clientEmail) {
    throw invalidGrant('sub claim must be the client_email of the key named by kid');
  }
  const { exp, iat } = payload;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) {
    throw invalidGrant('exp claim is missing or not a number');
  }
  if (exp <= nowSeconds) {
    throw invalidGrant('exp claim is in the past, so the assertion has expired');
  }
  if (typeof iat !== 'number' || !Number.isFinite(iat)) {
    throw invalidGrant('iat claim is missing or not a number');
  }
  if (exp <= iat) {
    throw invalidGrant('exp claim must be after iat');
  }
  if (exp - iat > MAX_ASSERTION_LIFETIME_SECONDS) {
    throw invalidGrant(`exp - iat must be at most ${MAX_ASSERTION_LIFETIME_SECONDS} seconds`);
  }
  if (iat > nowSeconds + policy.iatToleranceSeconds) {
    const tolerance = policy.iatToleranceSeconds;
    throw invalidGrant(
      `iat claim is more than ${tolerance} seconds in the future. Check the client clock`,
    );
  }
  const scopes = parseScopes(payload.scope);
  if (deferredClaim !== undefined) {
    throw invalidGrant(`${deferredClaim} claim is invalid`);
  }
  const jti = checkJti(payload.jti, exp, policy);

  const verified: VerifiedAssertion = { kid, sub: key.clientEmail, scopes, iat, exp };
  if (jti !== undefined) {
    verified.jti = jti;
  }
  return verified;
}

/**
 * Verifies the signature with jose and returns the claims set.
 *
 * jose 6 also checks `exp`, `nbf` and the type of `iat` once the signature is valid. Its claim
 * errors carry the verified payload, so this keeps that payload and lets the caller report the
 * claims in its own order. `deferredClaim` names a failed claim that the caller does not check.
 */
async function verifySignature(
  assertion: string,
  publicKey: KeyObject,
  alg: string,
  policy: AssertionPolicy,
): Promise<{ payload: JWTPayload; deferredClaim?: string }> {
  try {
    const { payload } = await jwtVerify(assertion, publicKey, {
      algorithms: [alg],
      currentDate: new Date(policy.nowMs),
    });
    return { payload };
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) {
      return { payload: error.payload };
    }
    if (error instanceof joseErrors.JWTClaimValidationFailed) {
      if (error.claim === 'iat' || error.claim === 'exp') {
        return { payload: error.payload };
      }
      return { payload: error.payload, deferredClaim: error.claim };
    }
    if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
      throw invalidGrant('assertion signature is invalid for the key named by kid');
    }
    if (error instanceof joseErrors.JWTInvalid || error instanceof joseErrors.JWSInvalid) {
      throw invalidGrant('assertion is not a valid JWT');
    }
    throw invalidGrant('assertion signature could not be verified with the key named by kid');
  }
}

function audienceMatches(aud: unknown, audience: string): boolean {
  // RFC 7519 allows an array, but a Vendasta assertion carries a single string.
  return aud === audience || (Array.isArray(aud) && aud.length === 1 && aud[0] === audience);
}

function parseScopes(scope: unknown): string[] {
  if (typeof scope !== 'string') {
    throw invalidGrant('scope claim is missing or not a string');
  }
  const scopes = scope.split(/\s+/).filter((item) => item !== '');
  if (scopes.length === 0) {
    throw new OAuthError(400, 'invalid_scope', 'scope claim must list at least one scope');
  }
  return scopes;
}

function checkJti(jti: unknown, exp: number, policy: AssertionPolicy): string | undefined {
  if (!policy.requireJti) {
    // Vendasta ignores jti, so a jti of any type passes here.
    return typeof jti === 'string' ? jti : undefined;
  }
  if (typeof jti !== 'string' || jti === '') {
    throw invalidGrant('jti claim is missing or not a string, and this server requires it');
  }
  const nowSeconds = Math.floor(policy.nowMs / 1000);
  // An expired assertion is rejected by exp, so its jti no longer needs to be remembered.
  for (const [usedJti, usedExp] of policy.usedJtis) {
    if (usedExp <= nowSeconds) {
      policy.usedJtis.delete(usedJti);
    }
  }
  if (policy.usedJtis.has(jti)) {
    throw invalidGrant('jti claim was already used. Sign a new assertion with a fresh jti');
  }
  policy.usedJtis.set(jti, exp);
  return jti;
}

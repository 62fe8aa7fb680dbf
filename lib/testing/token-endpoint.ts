import { decodeJwt, decodeProtectedHeader } from 'jose';

import {
  type AssertionPolicy,
  OAuthError,
  type VerifiedAssertion,
  verifyAssertion,
} from './assertion-verifier.js';
import { mediaType } from './http-utils.js';

/** Grant type of the JWT-bearer flow (RFC 7523). */
export const JWT_BEARER_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded';

/** Summary of a token request. It contains no assertion or token text. */
export interface TokenRequestRecord {
  scopes: string[];
  kid: string;
  grantType: string;
  /** `iat` claim in seconds, or NaN when the assertion has none. */
  iat: number;
  /** `exp` claim in seconds, or NaN when the assertion has none. */
  exp: number;
  jti?: string;
  /** Server clock when the request body was read, in milliseconds since the epoch. */
  receivedAt: number;
}

/**
 * Checks the form of a token request and verifies its assertion.
 *
 * The form is checked in this order: content type, grant_type, then assertion. Throws an
 * {@link OAuthError} for the first failed check.
 */
export async function exchangeAssertion(
  contentType: string | undefined,
  body: Buffer,
  policy: AssertionPolicy,
): Promise<VerifiedAssertion> {
  if (mediaType(contentType) !== FORM_MEDIA_TYPE) {
    throw invalidRequest(`Content-Type must be ${FORM_MEDIA_TYPE}`);
  }
  const form = new URLSearchParams(body.toString('utf8'));
  const grantType = singleParameter(form, 'grant_type');
  if (grantType === undefined) {
    throw invalidRequest('grant_type parameter is missing');
  }
  if (grantType !== JWT_BEARER_GRANT_TYPE) {
    throw new OAuthError(
      400,
      'unsupported_grant_type',
      `grant_type must be ${JWT_BEARER_GRANT_TYPE}`,
    );
  }
  const assertion = singleParameter(form, 'assertion');
  if (assertion === undefined) {
    throw invalidRequest('assertion parameter is missing');
  }
  return verifyAssertion(assertion, policy);
}

/**
 * Summarizes a token request for {@link LocalTokenServer.lastTokenRequest} without checking it.
 *
 * Returns undefined when the body is not a form or its assertion does not decode as a JWT.
 */
export function describeTokenRequest(
  contentType: string | undefined,
  body: Buffer,
  receivedAt: number,
): TokenRequestRecord | undefined {
  if (mediaType(contentType) !== FORM_MEDIA_TYPE) {
    return undefined;
  }
  const form = new URLSearchParams(body.toString('utf8'));
  const assertion = form.get('assertion');
  if (assertion === null) {
    return undefined;
  }
  try {
    const header = decodeProtectedHeader(assertion);
    const claims = decodeJwt(assertion);
    const record: TokenRequestRecord = {
      scopes: typeof claims.scope === 'string' ? claims.scope.split(/\s+/).filter(Boolean) : [],
      kid: typeof header.kid === 'string' ? header.kid : '',
      grantType: form.get('grant_type') ?? '',
      iat: typeof claims.iat === 'number' ? claims.iat : Number.NaN,
      exp: typeof claims.exp === 'number' ? claims.exp : Number.NaN,
      receivedAt,
    };
    if (typeof claims.jti === 'string') {
      record.jti = claims.jti;
    }
    return record;
  } catch {
    return undefined;
  }
}

function invalidRequest(description: string): OAuthError {
  return new OAuthError(400, 'invalid_request', description);
}

/**
 * Returns a form parameter, or undefined when it is missing or empty.
 *
 * RFC 6749 section 3.2 treats an empty parameter as omitted and forbids repeating one, so a
 * repeated parameter raises invalid_request.
 */
function singleParameter(form: URLSearchParams, name: string): string | undefined {
  const values = form.getAll(name);
  if (values.length > 1) {
    throw invalidRequest(`${name} parameter must appear only once`);
  }
  const value = values[0];
  return value === '' ? undefined : value;
}

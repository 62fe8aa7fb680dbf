import { TokenRequestError } from '../lib/errors.js';
import { backoffDelay, isRetryable, parseRetryAfter } from '../lib/retry-policy.js';

function failure(status: number | undefined, oauthError?: string, networkCode?: string): TokenRequestError {
  const cause = networkCode === undefined ? undefined : Object.assign(new Error('x'), { code: networkCode });
  return new TokenRequestError('ERR_TOKEN_REQUEST_FAILED', 'failed', { status, oauthError, cause });
}

describe('isRetryable', () => {
  test.each([408, 429, 500, 502, 503, 504])('retries HTTP %i', (status) => {
    expect(isRetryable(failure(status))).toBe(true);
  });

  test.each([400, 401, 403, 404, 409, 501, 505])('does not retry HTTP %i', (status) => {
    expect(isRetryable(failure(status))).toBe(false);
  });

  test.each(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNABORTED', 'EPIPE'])(
    'retries network error %s',
    (code) => {
      expect(isRetryable(failure(undefined, undefined, code))).toBe(true);
    },
  );

  test.each(['CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'ERR_TLS_CERT_ALTNAME_INVALID', 'ERR_CANCELED'])(
    'does not retry %s',
    (code) => {
      expect(isRetryable(failure(undefined, undefined, code))).toBe(false);
    },
  );

  test('retries a transient OAuth error', () => {
    expect(isRetryable(failure(400, 'temporarily_unavailable'))).toBe(true);
  });

  test('does not retry OAuth error codes', () => {
    const error = new TokenRequestError('ERR_OAUTH_INVALID_GRANT', 'x', { status: 400, oauthError: 'invalid_grant' });
    expect(isRetryable(error)).toBe(false);
    expect(isRetryable(new Error('plain'))).toBe(false);
  });
});

describe('backoffDelay', () => {
  const settings = { minTimeoutMs: 100, maxTimeoutMs: 1000, factor: 2 };

  test('grows exponentially within jitter bounds', () => {
    for (let index = 0; index < 200; index++) {
      const retry = index % 6;
      const nominal = Math.min(1000, 100 * 2 ** retry);
      const delay = backoffDelay(retry, settings);
      expect(delay).toBeGreaterThanOrEqual(nominal / 2);
      expect(delay).toBeLessThanOrEqual(nominal);
    }
  });

  test('is randomised', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(3, settings)));
    expect(delays.size).toBeGreaterThan(5);
  });
});

describe('parseRetryAfter', () => {
  const reference = Date.UTC(2026, 0, 1, 12, 0, 0);

  test('reads delay-seconds', () => {
    expect(parseRetryAfter('7', reference)).toBe(7000);
    expect(parseRetryAfter(' 0 ', reference)).toBe(0);
  });

  test('reads an HTTP date against the reference', () => {
    expect(parseRetryAfter('Thu, 01 Jan 2026 12:00:30 GMT', reference)).toBe(30_000);
  });

  test('a past date means no wait', () => {
    expect(parseRetryAfter('Thu, 01 Jan 2026 11:00:00 GMT', reference)).toBe(0);
  });

  test('ignores malformed values', () => {
    expect(parseRetryAfter(undefined, reference)).toBeUndefined();
    expect(parseRetryAfter('-5', reference)).toBeUndefined();
    expect(parseRetryAfter('1.5', reference)).toBeUndefined();
    expect(parseRetryAfter('soon', reference)).toBeUndefined();
  });
});

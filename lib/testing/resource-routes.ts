import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { AccessTokenStore } from './access-token-store.js';
import { readBody, sendJson, sendResponse } from './http-utils.js';

/**
 * Handles the protected routes: any method on `/api/*` and `GET /oauth2/user-info`.
 *
 * A valid bearer token gets a JSON echo of the request, with the SHA-256 of the raw body so that
 * replay tests can compare bodies. `GET /api/redirect?to=<absolute URL>` redirects without
 * checking the token, so a test can observe whether a client sends its token to the new host.
 */
export async function handleResourceRequest(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  tokens: AccessTokenStore,
  now: () => number,
): Promise<void> {
  const method = req.method ?? 'GET';
  const body = await readBody(req);

  if (url.pathname === '/oauth2/user-info' && method !== 'GET') {
    sendJson(res, now(), 405, { error: 'method_not_allowed' }, { Allow: 'GET' });
    return;
  }
  if (url.pathname === '/api/redirect' && method === 'GET') {
    sendRedirect(res, url, now());
    return;
  }

  const accessToken = bearerToken(req.headers.authorization);
  const token = accessToken === undefined ? undefined : tokens.find(accessToken, now());
  if (token === undefined) {
    sendJson(
      res,
      now(),
      401,
      { error: 'invalid_token' },
      { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
    );
    return;
  }
  sendJson(res, now(), 200, {
    ok: true,
    sub: token.sub,
    scopes: token.scopes,
    method,
    path: url.pathname,
    bodyLength: body.length,
    bodySha256: createHash('sha256').update(body).digest('hex'),
  });
}

function sendRedirect(res: ServerResponse, url: URL, nowMs: number): void {
  const target = url.searchParams.get('to');
  if (target === null || !URL.canParse(target)) {
    sendJson(res, nowMs, 400, {
      error: 'invalid_request',
      error_description: 'query parameter to must be an absolute URL',
    });
    return;
  }
  sendResponse(res, nowMs, 302, '', { Location: target });
}

function bearerToken(authorization: string | undefined): string | undefined {
  // The auth scheme is case-insensitive (RFC 9110 section 11.1).
  const match = /^Bearer +(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1];
}

import type { ServerResponse } from 'node:http';

import { sendResponse } from './http-utils.js';

/**
 * Scripted response to one token request, sent in place of the normal response.
 *
 * After `delayMs`, the first of these applies: `hang` leaves the request open until the client
 * gives up or the server closes, `destroySocket` resets the connection, and otherwise the server
 * sends `status` with `body` and `headers`.
 */
export interface Fault {
  /** HTTP status of the response. Defaults to 503. */
  status?: number;
  /**
   * Response body. An object is sent as JSON. A string is sent as is, with Content-Type
   * text/html when it starts with `<` and text/plain otherwise. Defaults to an empty body.
   */
  body?: string | object;
  /** Extra response headers, such as Retry-After. They replace the defaults of the same name. */
  headers?: Record<string, string>;
  /** Delay before the fault applies, in milliseconds. */
  delayMs?: number;
  hang?: boolean;
  destroySocket?: boolean;
}

/**
 * Responds to a request as `fault` describes.
 *
 * `wait` must be a timer that the server cancels on close, so a delayed fault never sends a
 * response after close.
 */
export async function applyFault(
  res: ServerResponse,
  fault: Fault,
  now: () => number,
  wait: (ms: number) => Promise<void>,
): Promise<void> {
  if (fault.delayMs !== undefined && fault.delayMs > 0) {
    await wait(fault.delayMs);
  }
  if (fault.hang) {
    return;
  }
  if (fault.destroySocket) {
    res.socket?.destroy();
    return;
  }

  const status = fault.status ?? 503;
  const headers: Record<string, string> = {};
  let body = '';
  if (typeof fault.body === 'string') {
    body = fault.body;
    const isHtml = body.trimStart().startsWith('<');
    headers['Content-Type'] = isHtml ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8';
  } else if (fault.body !== undefined) {
    body = JSON.stringify(fault.body);
    headers['Content-Type'] = 'application/json; charset=utf-8';
  }
  sendResponse(res, now(), status, body, { ...headers, ...fault.headers });
}

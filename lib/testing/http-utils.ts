import type { IncomingMessage, ServerResponse } from 'node:http';

/** Maximum request body the server reads, in bytes. Larger bodies get 413. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Error raised by {@link readBody} when a body exceeds {@link MAX_BODY_BYTES}. */
export class BodyTooLargeError extends Error {
  constructor() {
    super(`request body exceeds ${MAX_BODY_BYTES} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** Reads the whole request body as raw bytes. */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > MAX_BODY_BYTES) {
      throw new BodyTooLargeError();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * Sends a complete response unless the client has already gone away.
 *
 * Every response carries `Cache-Control: no-store` and a `Date` header from the server clock,
 * and `headers` may replace either.
 */
export function sendResponse(
  res: ServerResponse,
  nowMs: number,
  status: number,
  body: string | Buffer,
  headers: Record<string, string> = {},
): void {
  if (res.destroyed || res.headersSent) {
    return;
  }
  res.statusCode = status;
  res.setHeader('Date', new Date(nowMs).toUTCString());
  res.setHeader('Cache-Control', 'no-store');
  for (const [name, value] of Object.entries(headers)) {
    res.setHeader(name, value);
  }
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

/** Sends `value` as a JSON body. */
export function sendJson(
  res: ServerResponse,
  nowMs: number,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  sendResponse(res, nowMs, status, JSON.stringify(value), {
    'Content-Type': 'application/json; charset=utf-8',
    ...headers,
  });
}

/** Returns the media type of a Content-Type header, lowercased and without parameters. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * Offsets smaller than this are treated as zero. The `Date` header has a resolution of one
 * second, and network latency adds to the error of each measurement.
 */
export const CLOCK_NOISE_MS = 2000;

/** From this offset on, the skew is reported (`clock:skew`) and may explain a rejected assertion. */
export const LARGE_CLOCK_SKEW_MS = 10_000;

/**
 * The token endpoint's clock as seen from this host, learned from the `Date` header of its
 * responses. Assertions are signed with `now()`, so a host whose clock is wrong still sends
 * `iat` and `exp` that the server accepts.
 */
export class ServerClock {
  #offsetMs = 0;
  #measuredOffsetMs: number | undefined;

  /** Milliseconds to add to the local clock to get the server's; 0 until a large offset is seen. */
  get offsetMs(): number {
    return this.#offsetMs;
  }

  /** The last raw measurement, or undefined before the first response with a `Date` header. */
  get measuredOffsetMs(): number | undefined {
    return this.#measuredOffsetMs;
  }

  /** Returns the server's current time in milliseconds since the epoch, as far as this host can tell. */
  now(): number {
    return Date.now() + this.#offsetMs;
  }

  /**
   * Records the `Date` header of a response that was requested at `sentAtMs` and arrived at
   * `receivedAtMs` (local clock). Returns true when the applied offset changed.
   */
  observe(dateHeader: unknown, sentAtMs: number, receivedAtMs: number): boolean {
    const serverMs = parseHttpDate(dateHeader);
    if (serverMs === undefined) return false;

    // The header is truncated to the second, so the server's time lies in [date, date + 1 s).
    const measured = Math.round(serverMs + 500 - (sentAtMs + receivedAtMs) / 2);
    this.#measuredOffsetMs = measured;
    if (Math.abs(measured - this.#offsetMs) < CLOCK_NOISE_MS) return false;

    this.#offsetMs = Math.abs(measured) < CLOCK_NOISE_MS ? 0 : measured;
    return true;
  }
}

/**
 * Parses an HTTP date (RFC 9110 section 5.6.7) into milliseconds, or undefined. All three forms
 * start with a day name, which keeps `Date.parse` from reading numbers such as `-5` as years.
 */
export function parseHttpDate(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^\s*[A-Za-z]{3}/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Formats an offset for messages, such as `+45.2 s (this host's clock is behind)`. */
export function describeOffset(offsetMs: number): string {
  const seconds = (offsetMs / 1000).toFixed(1);
  if (Math.abs(offsetMs) < CLOCK_NOISE_MS) return `${seconds} s`;
  const direction = offsetMs > 0 ? 'behind' : 'ahead of';
  return `${offsetMs > 0 ? '+' : ''}${seconds} s (this host's clock is ${direction} the token endpoint's)`;
}

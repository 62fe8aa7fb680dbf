/** Maximum share of a token's lifetime that the expiry margin may take. */
export const MAX_MARGIN_SHARE = 0.25;
/** Maximum share of a token's lifetime that the refresh-ahead window may take. */
export const MAX_REFRESH_AHEAD_SHARE = 0.5;
/** Part of the refresh-ahead window that is randomised, so a fleet does not refresh in lockstep. */
export const REFRESH_JITTER_SHARE = 0.25;

/** When a cached token starts its background refresh and when requests must wait for a new one. */
export interface TokenSchedule {
  /** From this time on, in milliseconds since the epoch, a request starts a background refresh. */
  readonly refreshAt: number;
  /** From this time on, in milliseconds since the epoch, requests wait for a new token. */
  readonly staleAt: number;
}

/**
 * Computes the refresh schedule of a token that expires at `expiresAt`, as seen at `now`.
 *
 * The expiry margin is clamped to a quarter of the remaining lifetime and the refresh-ahead window
 * to half of it, so a short-lived token is still served for at least a quarter of its lifetime.
 * `random` (0 to 1) moves the refresh point later by up to a quarter of the window.
 */
export function scheduleRefresh(
  expiresAt: number,
  now: number,
  settings: { expiryMarginMs: number; refreshAheadMs: number },
  random: number = Math.random(),
): TokenSchedule {
  const lifetimeMs = Math.max(0, expiresAt - now);
  const margin = Math.min(settings.expiryMarginMs, lifetimeMs * MAX_MARGIN_SHARE);
  const ahead = Math.min(settings.refreshAheadMs, lifetimeMs * MAX_REFRESH_AHEAD_SHARE);
  const staleAt = expiresAt - margin;
  return { staleAt, refreshAt: staleAt - ahead * (1 - REFRESH_JITTER_SHARE * random) };
}

/**
 * Returns when to try again after `failures` failed background refreshes: an exponential delay
 * from 2 s, but never later than halfway to `staleAt`, so a retry still fits before requests wait.
 */
export function nextRefreshAfterFailure(failures: number, now: number, staleAt: number): number {
  const backoff = Math.min(1000 * 2 ** failures, Math.max(0, (staleAt - now) / 2));
  return now + backoff;
}

import { isLoopbackHost } from './credentials.js';
import type { SkipReason } from './events.js';
import { invalidOption, type HostPattern } from './options.js';

/** Origins that get the token when `allowedHosts` is not set, besides the instance's `baseURL`. */
export const DEFAULT_ALLOWED_HOSTS: readonly HostPattern[] = ['https://*.apigateway.co'];

/** A URL that axios treats as absolute, protocol-relative ones included. */
export const ABSOLUTE_URL = /^([a-z][a-z\d+\-.]*:)?\/\//i;
const MAX_CACHED_DECISIONS = 1000;

interface Matcher {
  readonly protocol: string;
  readonly host: string;
  readonly wildcard: boolean;
  readonly port: string;
}

/**
 * Decides whether a request's URL may receive the token: its origin must be allowed, and its
 * protocol https unless the host is a loopback address.
 */
export class HostPolicy {
  readonly #patterns: readonly Matcher[] | undefined;
  readonly #predicate: ((url: URL) => boolean) | undefined;
  readonly #decisions = new Map<string, SkipReason | null>();
  #lastRelative:
    | { baseURL: string | undefined; instanceBaseURL: string | undefined; decision: SkipReason | null }
    | undefined;

  constructor(allowedHosts: readonly HostPattern[] | ((url: URL) => boolean) | undefined) {
    if (typeof allowedHosts === 'function') {
      this.#predicate = allowedHosts;
    } else if (allowedHosts !== undefined) {
      if (!Array.isArray(allowedHosts)) {
        throw invalidOption('allowedHosts', 'must be an array of origins or a function.');
      }
      this.#patterns = allowedHosts.map(parsePattern);
    }
  }

  /**
   * Returns why a request must go out without the token, or null when it may carry it.
   * `baseURL` is the instance's default, which is allowed when `allowedHosts` is not set.
   */
  check(url: string | undefined, baseURL: string | undefined, instanceBaseURL: string | undefined): SkipReason | null {
    // Most requests use a relative URL on the instance's baseURL, so reuse the last decision for those.
    const relative = url === undefined || !ABSOLUTE_URL.test(url);
    const last = this.#lastRelative;
    if (relative && last !== undefined && last.baseURL === baseURL && last.instanceBaseURL === instanceBaseURL) {
      return last.decision;
    }
    const decision = this.#checkOrigin(url, baseURL, instanceBaseURL);
    if (relative) this.#lastRelative = { baseURL, instanceBaseURL, decision };
    return decision;
  }

  #checkOrigin(url: string | undefined, baseURL: string | undefined, instanceBaseURL: string | undefined): SkipReason | null {
    const target = resolveOrigin(url, baseURL);
    if (target === undefined) return 'host-not-allowed';

    const cacheKey = `${target}\n${instanceBaseURL ?? ''}`;
    const cached = this.#decisions.get(cacheKey);
    if (cached !== undefined) return cached;

    const decision = this.#decide(target, instanceBaseURL);
    if (this.#decisions.size >= MAX_CACHED_DECISIONS) this.#decisions.clear();
    this.#decisions.set(cacheKey, decision);
    return decision;
  }

  #decide(origin: string, instanceBaseURL: string | undefined): SkipReason | null {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return 'host-not-allowed';
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'host-not-allowed';

    let allowed: boolean;
    if (this.#predicate !== undefined) {
      try {
        allowed = this.#predicate(url) === true;
      } catch {
        // A predicate that throws allows nothing, so a bug in it cannot leak the token.
        allowed = false;
      }
    } else {
      const patterns = this.#patterns ?? [...DEFAULT_ALLOWED_HOSTS.map(parsePattern), ...baseUrlPattern(instanceBaseURL)];
      allowed = patterns.some((pattern) => matches(pattern, url));
    }
    if (!allowed) return 'host-not-allowed';
    if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) return 'insecure-protocol';
    return null;
  }
}

/** Returns the origin, such as `https://api.example.com`, that a request goes to, or undefined. */
export function requestOrigin(url: string | undefined, baseURL: string | undefined): string | undefined {
  const origin = resolveOrigin(url, baseURL);
  if (origin === undefined || !URL.canParse(origin)) return undefined;
  return new URL(origin).origin;
}

function resolveOrigin(url: string | undefined, baseURL: string | undefined): string | undefined {
  const full = url !== undefined && ABSOLUTE_URL.test(url) ? url : baseURL;
  if (full === undefined) return undefined;
  const match = /^[a-z][a-z\d+\-.]*:\/\/[^/?#]*/i.exec(full);
  return match?.[0];
}

function baseUrlPattern(baseURL: string | undefined): Matcher[] {
  if (baseURL === undefined) return [];
  try {
    const url = new URL(baseURL);
    return [{ protocol: url.protocol, host: url.hostname, wildcard: false, port: url.port }];
  } catch {
    return [];
  }
}

function parsePattern(pattern: unknown): Matcher {
  if (typeof pattern !== 'string' || !/^https?:\/\/[^/?#]+\/?$/i.test(pattern.trim())) {
    throw invalidOption(
      'allowedHosts',
      `entries must be origins with a scheme, such as 'https://api.example.com' or 'https://*.example.com', got ${JSON.stringify(pattern)}.`,
    );
  }

  const withScheme = pattern.trim();
  const wildcard = /^[a-z][a-z\d+\-.]*:\/\/\*\./i.test(withScheme);
  // A wildcard must leave at least two labels, so `*.co` cannot match a whole top-level domain.
  if (withScheme.includes('*') && !/^https?:\/\/\*\.[^*.:/]+\.[^*:/]+(:\d+)?\/?$/i.test(withScheme)) {
    throw invalidOption(
      'allowedHosts',
      `entry ${JSON.stringify(pattern)} has a wildcard that is too broad or misplaced. Use '*.' followed by at least two labels, such as 'https://*.example.com'.`,
    );
  }

  let url: URL;
  try {
    url = new URL(withScheme.replace('://*.', '://wildcard.'));
  } catch {
    throw invalidOption('allowedHosts', `entry ${JSON.stringify(pattern)} is not a valid origin.`);
  }

  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    throw invalidOption('allowedHosts', `entry ${JSON.stringify(pattern)} must be an origin without a path.`);
  }
  if (url.username !== '' || url.password !== '') {
    throw invalidOption('allowedHosts', `entry ${JSON.stringify(`${url.protocol}//${url.host}`)} must not contain a user name or password.`);
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw invalidOption('allowedHosts', `entry ${JSON.stringify(pattern)} uses plain http, which is allowed only for loopback addresses, so it would never receive the token. Use https.`);
  }

  const host = wildcard ? url.hostname.slice('wildcard'.length) : url.hostname;
  return { protocol: url.protocol, host, wildcard, port: url.port };
}

function matches(pattern: Matcher, url: URL): boolean {
  if (pattern.protocol !== url.protocol || pattern.port !== url.port) return false;
  return pattern.wildcard ? url.hostname.endsWith(pattern.host) : url.hostname === pattern.host;
}

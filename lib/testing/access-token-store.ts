import { randomBytes } from 'node:crypto';

/** Access token issued by the local server. */
export interface IssuedToken {
  sub: string;
  scopes: string[];
  /** Expiry on the server clock, in milliseconds since the epoch. */
  expiresAtMs: number;
}

/** Opaque access tokens with their expiry, keyed by token text. */
export class AccessTokenStore {
  private readonly tokens = new Map<string, IssuedToken>();

  /** Creates a random opaque token and stores it. */
  issue(sub: string, scopes: string[], expiresAtMs: number): string {
    const accessToken = randomBytes(32).toString('base64url');
    this.tokens.set(accessToken, { sub, scopes, expiresAtMs });
    return accessToken;
  }

  /** Returns the token's record, or undefined when it is unknown, revoked or expired at `nowMs`. */
  find(accessToken: string, nowMs: number): IssuedToken | undefined {
    const token = this.tokens.get(accessToken);
    if (token === undefined) {
      return undefined;
    }
    if (token.expiresAtMs <= nowMs) {
      this.tokens.delete(accessToken);
      return undefined;
    }
    return token;
  }

  revoke(accessToken: string): void {
    this.tokens.delete(accessToken);
  }

  revokeAll(): void {
    this.tokens.clear();
  }
}

import axios from 'axios';

import { attachVendastaAuth } from '../attach.js';
import { isVendastaAuthError } from '../errors.js';
import { printMessage } from './output.js';

/** An access token with the facts that `--format json` and `check --online` print. */
export interface FetchedToken {
  accessToken: string;
  /** Expiry in milliseconds since the epoch. */
  expiresAt: number;
  scopes: readonly string[];
  serviceAccount: string;
  tokenUri: string;
  durationMs: number;
}

/**
 * Fetches one access token through `attachVendastaAuth`, so the command runs the same credential
 * checks, assertion, retry policy and error codes as the library. Retries are reported on stderr.
 */
export async function fetchToken(options: {
  credentials: string;
  scopes: string[];
  tokenUri: string | undefined;
}): Promise<FetchedToken> {
  const auth = attachVendastaAuth(axios.create(), {
    credentials: options.credentials,
    scopes: options.scopes,
    ...(options.tokenUri === undefined ? {} : { tokenUri: options.tokenUri }),
  });
  let success: { expiresAt: number; durationMs: number; scopes: readonly string[] } | undefined;
  auth.events.on('token:success', (event) => {
    success = event;
  });
  auth.events.on('token:error', ({ error, attempt, willRetry }) => {
    if (!willRetry) return;
    const code = isVendastaAuthError(error) ? ` (${error.code})` : '';
    printMessage(`token request attempt ${attempt} failed${code}, retrying`);
  });

  try {
    const accessToken = await auth.getAccessToken();
    // A new instance has an empty cache, so the token came from a fetch that emitted the event.
    if (success === undefined) throw new Error('The token arrived without a token:success event.');
    return {
      accessToken,
      expiresAt: success.expiresAt,
      scopes: success.scopes,
      serviceAccount: auth.serviceAccount.clientEmail,
      tokenUri: auth.serviceAccount.tokenUri,
      durationMs: success.durationMs,
    };
  } finally {
    auth.detach();
  }
}

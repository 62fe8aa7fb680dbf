import axios, { type AxiosInstance } from 'axios';

import { attachVendastaAuth, type VendastaAuth, type VendastaAuthEvents, type VendastaAuthOptions } from '../../lib/index.js';

/** Retry settings small enough that a test with several retries takes milliseconds. */
export const FAST_RETRY = { retries: 3, minTimeoutMs: 5, maxTimeoutMs: 20 } as const;

export interface Attached {
  readonly instance: AxiosInstance;
  readonly auth: VendastaAuth;
  readonly events: Array<{ type: keyof VendastaAuthEvents; payload: unknown; at: number }>;
  ofType<Key extends keyof VendastaAuthEvents>(type: Key): Array<VendastaAuthEvents[Key]>;
}

/** Attaches the plugin to a new axios instance and records every event with its time. */
export function attachRecorded(baseURL: string, options: VendastaAuthOptions): Attached {
  const instance = axios.create({ baseURL });
  const auth = attachVendastaAuth(instance, options);
  const events: Attached['events'] = [];
  auth.events.on('*', (type, payload) => events.push({ type, payload, at: performance.now() }));
  return {
    instance,
    auth,
    events,
    ofType: (type) => events.filter((event) => event.type === type).map((event) => event.payload as never),
  };
}

/**
 * Settles every promise, failing the test if any is still pending after `limitMs`, so that a
 * hung request shows up as a failure instead of a jest timeout.
 */
export async function settleAll(promises: Array<Promise<unknown>>, limitMs = 15_000): Promise<Array<PromiseSettledResult<unknown>>> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), limitMs);
  });
  const outcome = await Promise.race([Promise.allSettled(promises), limit]);
  clearTimeout(timer);
  if (outcome === 'hung') throw new Error(`Some of ${promises.length} requests were still pending after ${limitMs} ms.`);
  return outcome;
}

/** Returns the rejection reason of a promise that must reject. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  const [outcome] = await settleAll([promise]);
  if (outcome!.status === 'fulfilled') throw new Error('Expected a rejection, but the promise resolved.');
  return outcome!.reason;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waits until `server` has seen no new token request for `quietMs`, at most `limitMs`. An attempt
 * that a test aborted can still reach the server after the test ends, and would otherwise take a
 * fault queued by the next test.
 */
export async function waitForQuiet(server: { readonly tokenRequests: number }, quietMs = 100, limitMs = 2000): Promise<void> {
  const until = Date.now() + limitMs;
  let seen = server.tokenRequests;
  while (Date.now() < until) {
    await sleep(quietMs);
    if (server.tokenRequests === seen) return;
    seen = server.tokenRequests;
  }
}

import axios from 'axios';

import { attachVendastaAuth, VendastaAuthError, type TokenStore, type VendastaAuthEvents } from '../../lib/index.js';
import type { LogLevel } from '../../lib/logger.js';
import { guardStore, StoreErrorReporter } from '../../lib/stores/store-guard.js';
import { startTokenServer, type LocalTokenServer } from '../../lib/testing/index.js';

type StoreError = VendastaAuthEvents['store:error'];

/** A store whose every call rejects, or never settles with `hang`. */
class BrokenStore implements TokenStore {
  calls = 0;
  constructor(private readonly mode: 'reject' | 'hang' | 'throw') {}

  get(): Promise<string | undefined> {
    return this.#fail();
  }
  set(): Promise<void> {
    return this.#fail();
  }
  delete(): Promise<void> {
    return this.#fail();
  }

  #fail(): Promise<never> {
    this.calls++;
    if (this.mode === 'throw') throw new Error('store threw synchronously');
    if (this.mode === 'hang') return new Promise(() => {});
    return Promise.reject(new Error('connection refused'));
  }
}

function recorder() {
  const events: StoreError[] = [];
  const logs: Array<[LogLevel, Record<string, unknown>, string]> = [];
  return {
    events,
    logs,
    emit: (_type: 'store:error', payload: StoreError) => events.push(payload),
    log: (level: LogLevel, context: Record<string, unknown>, message: string) => logs.push([level, context, message]),
  };
}

describe('StoreErrorReporter', () => {
  test('reports once per operation per interval', async () => {
    const seen = recorder();
    const reporter = new StoreErrorReporter(seen.emit, seen.log, 100);
    for (let i = 0; i < 4; i++) reporter.report('get', new Error(`failure ${i}`));
    reporter.report('set', new Error('set failed'));

    expect(seen.events.map((event) => [event.operation, event.error.message, event.suppressed])).toEqual([
      ['get', 'failure 0', 0],
      ['set', 'set failed', 0],
    ]);

    await new Promise((resolve) => setTimeout(resolve, 150));
    reporter.report('get', new Error('failure 4'));
    expect(seen.events.at(-1)).toMatchObject({ operation: 'get', suppressed: 3 });
    expect(seen.logs).toHaveLength(3);
    expect(seen.logs[2]![0]).toBe('warn');
    expect(seen.logs[2]![1]).toMatchObject({ operation: 'get', error: 'failure 4', suppressed: 3 });
  });

  test('wraps a non-Error failure', () => {
    const seen = recorder();
    const error = new StoreErrorReporter(seen.emit, seen.log).report('delete', 'plain text');
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toBe('plain text');
  });
});

describe('guardStore', () => {
  test('times out a call that never settles', async () => {
    const seen = recorder();
    const guarded = guardStore(new BrokenStore('hang'), seen.emit, seen.log, 50);
    const failure = await guarded.get('k').catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(VendastaAuthError);
    expect((failure as VendastaAuthError).code).toBe('ERR_STORE_TIMEOUT');
    expect((failure as Error).message).toBe(
      'Token store call `get` timed out after 50 ms. The plugin goes on without the store.',
    );
    expect(seen.events).toHaveLength(1);
  });

  test('times calls only once the store is ready', async () => {
    const seen = recorder();
    let ready = false;
    const slowStart: TokenStore = {
      ready: () => new Promise<void>((resolve) => setTimeout(() => resolve(void (ready = true)), 150)),
      get: async () => (ready ? 'value' : undefined),
      set: async () => {},
      delete: async () => {},
    };
    const guarded = guardStore(slowStart, seen.emit, seen.log, 50);
    await expect(guarded.get('k')).resolves.toBe('value');
    expect(seen.events).toEqual([]);
  });

  test('turns a synchronous throw into a rejection', async () => {
    const seen = recorder();
    const guarded = guardStore(new BrokenStore('throw'), seen.emit, seen.log);
    await expect(guarded.set('k', 'v', 1000)).rejects.toThrow('store threw synchronously');
    expect(seen.events[0]?.operation).toBe('set');
  });

  test('adds lease methods only if the store has them', () => {
    const seen = recorder();
    const guarded = guardStore(new BrokenStore('reject'), seen.emit, seen.log);
    expect(guarded.acquireLease).toBeUndefined();
    expect(guarded.releaseLease).toBeUndefined();
  });
});

describe('attachVendastaAuth with a failing store', () => {
  let server: LocalTokenServer;
  let credentialsPath: string;

  beforeAll(async () => {
    server = await startTokenServer();
    credentialsPath = (await server.createCredentials()).path;
  });

  afterAll(async () => {
    await server.close();
  });

  test.each(['reject', 'hang'] as const)('requests succeed when the store calls %s', async (mode) => {
    server.resetCounters();
    const store = new BrokenStore(mode);
    const instance = axios.create({ baseURL: server.url });
    const warnings: Array<Record<string, unknown>> = [];
    const auth = attachVendastaAuth(instance, {
      credentials: credentialsPath,
      scopes: ['profile'],
      store,
      logger: { warn: (context) => warnings.push(context) },
    });
    const events: StoreError[] = [];
    auth.events.on('store:error', (event) => events.push(event));

    const responses = await Promise.all(Array.from({ length: 20 }, () => instance.get('/api/x')));
    auth.detach();

    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
    expect(server.tokenRequests).toBe(1);
    expect(store.calls).toBeGreaterThanOrEqual(1);
    expect(events[0]?.operation).toBe('get');
    expect(warnings[0]).toMatchObject({ name: 'vendasta-axios-auth', operation: 'get', suppressed: 0 });
    if (mode === 'hang') expect((events[0]?.error as VendastaAuthError).code).toBe('ERR_STORE_TIMEOUT');
  });
});

import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

import axios, { AxiosError, type AxiosInstance } from 'axios';

import { attachVendastaAuth, isReplayable, type VendastaAuth, type VendastaAuthEvents } from '../lib/index.js';
import { startTokenServer, type LocalTokenServer } from '../lib/testing/index.js';
import { startServer, type TestServer } from './helpers/servers.js';

let server: LocalTokenServer;
let credentialsPath: string;
let api: TestServer;
let instance: AxiosInstance;
let auth: VendastaAuth | undefined;
const seenPaths = new Set<string>();

beforeAll(async () => {
  server = await startTokenServer();
  credentialsPath = (await server.createCredentials()).path;
  // Responds 401 to the first request to each path and 200 to later ones.
  api = await startServer((request, response) => {
    const path = request.url ?? '/';
    const first = !seenPaths.has(path);
    seenPaths.add(path);
    response.writeHead(first ? 401 : 200, { 'Content-Type': 'application/json' });
    response.end(first ? '{"error":"invalid_token"}' : '{"ok":true}');
  });
});

afterAll(async () => {
  await api.close();
  await server.close();
});

beforeEach(() => {
  server.resetCounters();
  api.requests.length = 0;
  instance = axios.create({ baseURL: api.url });
  auth = attachVendastaAuth(instance, { credentials: credentialsPath, scopes: 'profile' });
});

afterEach(() => {
  auth?.detach();
  auth = undefined;
});

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

describe('401 replay', () => {
  const text = 'héllo, wörld ✓';
  const bytes = Buffer.from([0, 1, 2, 250, 251, 252, 10, 13]);
  const cases: Array<[string, () => unknown, string]> = [
    ['JSON object', () => ({ name: 'ü', list: [1, 2, { deep: null }] }), JSON.stringify({ name: 'ü', list: [1, 2, { deep: null }] })],
    ['string', () => text, text],
    ['Buffer', () => Buffer.from(bytes), bytes.toString('latin1')],
    ['ArrayBuffer', () => new Uint8Array(bytes).buffer, bytes.toString('latin1')],
    ['URLSearchParams', () => new URLSearchParams({ a: '1 2', b: 'ä&=' }), 'a=1+2&b=%C3%A4%26%3D'],
    ['Uint8Array', () => new Uint8Array(bytes), bytes.toString('latin1')],
    ['Blob', () => new Blob([text]), text],
  ];

  test.each(cases)('%s body is re-sent byte for byte', async (name, makeBody, expected) => {
    const path = `/replay/${encodeURIComponent(name)}`;
    const response = await instance.post(path, makeBody(), { headers: { 'Content-Type': 'text/plain' } });

    expect(response.status).toBe(200);
    expect(api.requests).toHaveLength(2);
    const [first, second] = api.requests;
    const expectedBytes = Buffer.from(expected, ['Buffer', 'ArrayBuffer', 'Uint8Array'].includes(name) ? 'latin1' : 'utf8');
    expect(sha256(first!.body)).toBe(sha256(expectedBytes));
    expect(sha256(second!.body)).toBe(sha256(first!.body));
    expect(second!.authorization).not.toBe(first!.authorization);
    expect(server.tokenRequests).toBe(2);
  });

  test('token server echoes the same body after revocation', async () => {
    auth!.detach();
    instance = axios.create({ baseURL: server.url });
    auth = attachVendastaAuth(instance, { credentials: credentialsPath, scopes: 'profile' });
    const body = { order: 42, note: 'ñ' };
    const warm = await instance.post('/api/orders', body);
    server.revokeAll();
    const retried: Array<VendastaAuthEvents['request:retry']> = [];
    auth.events.on('request:retry', (event) => retried.push(event));

    const response = await instance.post('/api/orders', body);
    expect(retried).toEqual([{ method: 'POST', url: `${server.url}/api/orders` }]);
    expect(response.data.bodySha256).toBe(warm.data.bodySha256);
    expect(response.data.bodySha256).toBe(sha256(JSON.stringify(body)));
    expect(response.data.bodyLength).toBe(Buffer.byteLength(JSON.stringify(body)));
  });

  test('stream body gets the 401 with a marker', async () => {
    const retried: unknown[] = [];
    auth!.events.on('request:retry', (event) => retried.push(event));
    const error = await instance
      .post('/replay/stream', Readable.from([Buffer.from('one-shot')]))
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(AxiosError);
    expect((error as AxiosError).response?.status).toBe(401);
    expect((error as AxiosError).vendastaAuthNotRetried).toBe('body-not-replayable');
    expect(api.requests).toHaveLength(1);
    expect(retried).toEqual([]);
    // The rejected token was dropped, so the next request fetches a new one.
    const next = await instance.get('/replay/stream');
    expect(next.status).toBe(200);
    expect(server.tokenRequests).toBe(2);
  });

  test('retried 401 has no marker', async () => {
    const always = await startServer((_request, response) => response.writeHead(401).end());
    try {
      auth!.detach();
      instance = axios.create({ baseURL: always.url });
      auth = attachVendastaAuth(instance, { credentials: credentialsPath, scopes: 'profile' });
      const error = await instance.post('/x', 'text').catch((caught: unknown) => caught);
      expect((error as AxiosError).response?.status).toBe(401);
      expect(always.requests).toHaveLength(2);
      expect((error as AxiosError).vendastaAuthNotRetried).toBeUndefined();
    } finally {
      await always.close();
    }
  });
});

describe('isReplayable', () => {
  test.each([
    ['undefined', undefined, true],
    ['string', 'x', true],
    ['plain object', { a: 1 }, true],
    ['null-prototype object', Object.create(null), true],
    ['Buffer', Buffer.from('x'), true],
    ['Uint8Array', new Uint8Array(2), true],
    ['ArrayBuffer', new ArrayBuffer(2), true],
    ['URLSearchParams', new URLSearchParams('a=1'), true],
    ['Blob', new Blob(['x']), true],
    ['Readable', Readable.from(['x']), false],
    ['ReadableStream', new ReadableStream(), false],
    ['class instance', new (class Payload {})(), false],
  ])('%s', (_name, data, expected) => {
    expect(isReplayable(data)).toBe(expected);
  });
});

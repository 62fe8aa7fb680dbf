import { createClient } from 'redis';

import { startTokenServer, type LocalTokenServer } from '../../lib/testing/index.js';
import { buildLibrary, startFleet, stopFleet, type FleetWorker, type WorkerLine } from '../helpers/fleet.js';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server.js';

let tokenServer: LocalTokenServer;
let redisServer: TestRedisServer;
let inspector: ReturnType<typeof createClient>;
let library: ReturnType<typeof buildLibrary>;
let env: Record<string, string>;
let fleet: FleetWorker[] = [];

beforeAll(async () => {
  library = buildLibrary();
  tokenServer = await startTokenServer();
  redisServer = await startRedisServer();
  inspector = createClient({ url: redisServer.url });
  inspector.on('error', () => {});
  await inspector.connect();
  env = {
    FLEET_CREDENTIALS: (await tokenServer.createCredentials({ alg: 'RS256' })).path,
    FLEET_BASE_URL: tokenServer.url,
    FLEET_LIB_DIR: library.dir,
  };
}, 60_000);

afterAll(async () => {
  await stopFleet(fleet);
  inspector?.destroy();
  await redisServer?.stop();
  await tokenServer?.close();
  library?.remove();
});

beforeEach(async () => {
  tokenServer.resetCounters();
  tokenServer.clearFaults();
  await inspector.flushAll();
});

afterEach(async () => {
  await stopFleet(fleet.splice(0));
});

async function launch(count: number, extra: Record<string, string> = {}): Promise<FleetWorker[]> {
  const workers = await startFleet(count, { ...env, ...extra });
  fleet.push(...workers);
  return workers;
}

async function sendAll(workers: FleetWorker[], command: string): Promise<WorkerLine[]> {
  return Promise.all(workers.map((worker) => worker.send(command)));
}

function sum(lines: WorkerLine[], pick: (line: WorkerLine) => number | undefined): number {
  return lines.reduce((total, line) => total + (pick(line) ?? 0), 0);
}

describe('fleet of worker processes', () => {
  test('cold fleet with Redis: one token request', async () => {
    const workers = await launch(8, { FLEET_REDIS_URL: redisServer.url });
    const lines = await sendAll(workers, 'run 100');

    expect(sum(lines, (line) => line.ok)).toBe(800);
    expect(sum(lines, (line) => line.failed)).toBe(0);
    expect(tokenServer.tokenRequests).toBe(1);
    expect(sum(lines, (line) => line.events.tokenRequests)).toBe(1);
  });

  test('cold fleet with memory stores: one request each', async () => {
    const workers = await launch(4);
    const lines = await sendAll(workers, 'run 100');

    expect(sum(lines, (line) => line.ok)).toBe(400);
    expect(tokenServer.tokenRequests).toBe(4);
  });

  test('lease holder dies: others fetch after the wait', async () => {
    // The first worker's token request hangs, so it holds the lease when it is killed.
    tokenServer.injectFaults({ hang: true });
    const [holder] = await launch(1, { FLEET_REDIS_URL: redisServer.url, FLEET_TIMEOUT_MS: '20000' });
    holder!.send('run 1').catch(() => {});
    await waitUntil(async () => (await inspector.keys('*:lease')).length === 1);
    holder!.process.kill('SIGKILL');
    await holder!.exited;

    const workers = await launch(3, { FLEET_REDIS_URL: redisServer.url, FLEET_TIMEOUT_MS: '20000' });
    const started = Date.now();
    const lines = await sendAll(workers, 'run 20');

    // The failure codes first, so a failed run shows why requests failed.
    expect(lines.map((line) => line.failures)).toEqual([{}, {}, {}]);
    expect(sum(lines, (line) => line.ok)).toBe(60);
    expect(sum(lines, (line) => line.failed)).toBe(0);
    // They waited for the dead holder's token before fetching on their own.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    expect(tokenServer.tokenRequests).toBeLessThanOrEqual(1 + 3);
  });

  test('Redis stopped mid-run: no failed requests', async () => {
    const workers = await launch(4, { FLEET_REDIS_URL: redisServer.url });
    const warm = await sendAll(workers, 'run 50');
    expect(sum(warm, (line) => line.ok)).toBe(200);
    expect(tokenServer.tokenRequests).toBe(1);

    await redisServer.stop();
    await sendAll(workers, 'invalidate');
    const cold = await launch(2, { FLEET_REDIS_URL: redisServer.url });
    const lines = await sendAll([...workers, ...cold], 'run 50');
    await redisServer.restart();

    expect(sum(lines, (line) => line.failed)).toBe(0);
    expect(sum(lines, (line) => line.ok)).toBe(300);
    // Each worker fetched on its own while Redis was down, and reported a store error.
    expect(tokenServer.tokenRequests).toBe(1 + 6);
    for (const line of lines) expect(line.events.storeErrors.get).toBeGreaterThanOrEqual(1);
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Condition not met within ${timeoutMs} ms.`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

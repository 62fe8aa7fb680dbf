// A fleet of worker processes started together on a cold cache, each sending a burst of requests.
// It counts the token requests that reach the server with a per-process memory store and with a
// shared Redis store, and the requests that fail when Redis stops in the middle of a run.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

import { startRedisServer } from '../lib/redis-server.js';

const WORKER = fileURLToPath(new URL('../fleet-worker.js', import.meta.url));

/** Waits for the next IPC message of `type` from `child`, or fails after `timeoutMs`. */
function nextMessage(child, type, timeoutMs) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error(`A fleet worker sent no '${type}' within ${timeoutMs} ms.`));
    }, timeoutMs);
    const onMessage = (message) => {
      if (message?.type !== type) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(message);
    };
    child.on('message', onMessage);
  });
}

async function startWorkers(setup, count, timeoutMs) {
  const workers = Array.from({ length: count }, () =>
    fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  const ready = workers.map((child) => nextMessage(child, 'ready', timeoutMs));
  for (const child of workers) child.send(setup);
  await Promise.all(ready);
  return workers;
}

async function stopWorkers(workers) {
  await Promise.all(
    workers.map(async (child) => {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      const timer = setTimeout(() => child.kill(), 5000);
      if (child.connected) child.send({ type: 'exit' });
      await exited;
      clearTimeout(timer);
    }),
  );
}

/** Sends `message` to every worker and waits for each one's `reply`. */
async function broadcast(workers, message, reply, timeoutMs) {
  const replies = workers.map((child) => nextMessage(child, reply, timeoutMs));
  for (const child of workers) child.send(message);
  return Promise.all(replies);
}

/** Sends one wave to every worker at once; returns token requests and failed requests. */
async function runWave(server, workers, timeoutMs) {
  const before = (await server.counters()).tokenRequests;
  const results = await broadcast(workers, { type: 'wave' }, 'wave-done', timeoutMs);
  const after = (await server.counters()).tokenRequests;
  return {
    tokenRequests: after - before,
    failed: results.reduce((sum, result) => sum + result.failed, 0),
    storeErrors: results.reduce((sum, result) => sum + result.storeErrors, 0),
  };
}

/**
 * Starts `workers` processes and waits until every one has attached the plugin. Then runs
 * `rounds` waves on a cold cache: the first right after start, the others after every worker
 * dropped its tokens. `afterRounds`, when given, runs before one last wave.
 */
export async function runFleet(server, credentialsPath, options) {
  const { workers: count, concurrency, rounds, store, afterRounds, timeoutMs } = options;
  const setup = { url: server.url, credentialsPath, concurrency, store };
  const workers = await startWorkers(setup, count, timeoutMs);
  try {
    const waves = [];
    for (let round = 0; round < rounds; round++) {
      if (round > 0) await broadcast(workers, { type: 'invalidate' }, 'invalidated', timeoutMs);
      waves.push(await runWave(server, workers, timeoutMs));
    }
    const last = afterRounds === undefined ? undefined : (await afterRounds(), await runWave(server, workers, timeoutMs));
    return { waves, last };
  } finally {
    await stopWorkers(workers);
  }
}

/** Sums the failed requests of every wave. */
export function failedIn(waves) {
  return waves.reduce((sum, wave) => sum + wave.failed, 0);
}

/** Runs the fleet with a per-process memory store. */
export async function benchMemoryFleet(server, credentialsPath, counts) {
  const { waves } = await runFleet(server, credentialsPath, { ...counts, store: { kind: 'memory' } });
  const tokenRequests = waves.map((wave) => wave.tokenRequests);
  return { tokenRequests, failed: failedIn(waves) };
}

/**
 * Runs the fleet with a shared Redis store on a throwaway redis-server, then stops Redis, revokes
 * every token on the token server and sends one more wave.
 */
export async function benchRedisFleet(server, credentialsPath, counts) {
  const redis = await startRedisServer();
  try {
    const { waves, last } = await runFleet(server, credentialsPath, {
      ...counts,
      store: { kind: 'redis', url: redis.url },
      afterRounds: async () => {
        await redis.stop();
        await server.revokeAll();
      },
    });
    const tokenRequests = waves.map((wave) => wave.tokenRequests);
    return {
      tokenRequests,
      failed: failedIn(waves),
      stopped: last,
    };
  } finally {
    await redis.stop();
  }
}

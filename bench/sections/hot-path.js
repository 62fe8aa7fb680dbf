// Cached-token hot path: the plugin against bare axios with a static header over loopback, and
// the interceptors alone (no-op adapter) against the static header and hand-written alternatives.
// Each comparison also times a second bare instance against the first (an A/A control), so the
// table shows how much of a ratio is noise on the machine at hand.
import {
  createAuthRefreshClient,
  createHandRolledClient,
  createPluginClient,
  createStaticClient,
  noopAdapter,
} from '../lib/clients.js';
import { interleave, median, medianRatio, nowMs, runPool } from '../lib/stats.js';

const PATH = '/api/items';

async function timeOne(api) {
  const started = nowMs();
  await api.get(PATH);
  return nowMs() - started;
}

async function timeSequential(api, count) {
  const started = nowMs();
  for (let index = 0; index < count; index++) await api.get(PATH);
  return (nowMs() - started) / count;
}

async function timeConcurrent(api, count, concurrency) {
  const started = nowMs();
  await runPool(count, concurrency, () => api.get(PATH));
  return (nowMs() - started) / count;
}

/**
 * Sends `perRound` requests per instance in each round, one instance after the other in turn, and
 * returns each instance's median latency per round. Taking turns request by request, and the
 * median, keep the stalls of a loaded machine out of the comparison.
 */
async function sequentialRounds(apis, rounds, perRound) {
  const medians = apis.map(() => []);
  for (let round = 0; round < rounds; round++) {
    const latencies = apis.map(() => []);
    for (let index = 0; index < perRound; index++) {
      for (let step = 0; step < apis.length; step++) {
        const position = (index + step) % apis.length;
        latencies[position].push(await timeOne(apis[position]));
      }
    }
    latencies.forEach((list, position) => medians[position].push(median(list)));
  }
  return medians;
}

/** Measures the loopback rows: time per request, plugin versus static header. */
export async function benchLoopback(server, credentialsPath, counts) {
  const plugin = createPluginClient(server, credentialsPath);
  const token = await plugin.auth.getAccessToken();
  const bare = createStaticClient(server, token);
  const control = createStaticClient(server, token);
  const apis = [plugin.api, bare.api, control.api];
  const { rounds, sequential, concurrent, concurrency, warmup } = counts;

  try {
    for (const api of apis) {
      await timeSequential(api, warmup);
      await timeConcurrent(api, warmup, concurrency);
    }
    const [seqPlugin, seqBare, seqControl] = await sequentialRounds(apis, rounds, sequential);
    const [conPlugin, conBare, conControl] = await interleave(
      rounds,
      apis.map((api) => () => timeConcurrent(api, concurrent, concurrency)),
    );
    return {
      sequentialRatio: medianRatio(seqPlugin, seqBare),
      sequentialControl: medianRatio(seqControl, seqBare),
      sequentialBareUs: median(seqBare) * 1000,
      concurrentRatio: medianRatio(conPlugin, conBare),
      concurrentControl: medianRatio(conControl, conBare),
      concurrentBareUs: median(conBare) * 1000,
    };
  } finally {
    plugin.close();
    bare.close();
    control.close();
  }
}

/**
 * Measures the interceptors alone with a no-op adapter: the plugin, the static header, the
 * hand-written jose interceptor and axios-auth-refresh, all with a cached token.
 */
export async function benchInterceptors(server, credentialsPath, counts) {
  const options = { adapter: noopAdapter };
  const plugin = createPluginClient(server, credentialsPath, options);
  const token = await plugin.auth.getAccessToken();
  const clients = [
    plugin,
    createStaticClient(server, token, options),
    createStaticClient(server, token, options),
    await createHandRolledClient(server, credentialsPath, options),
    await createAuthRefreshClient(server, credentialsPath, options),
  ];
  const { rounds, requests, warmup } = counts;
  const addedUs = (side, base) => median(side.map((value, index) => (value - base[index]) * 1000));

  try {
    for (const { api } of clients) await timeSequential(api, warmup);
    const [pluginMs, bareMs, controlMs, handMs, refreshMs] = await interleave(
      rounds,
      clients.map(({ api }) => () => timeSequential(api, requests)),
    );
    return {
      addedUs: addedUs(pluginMs, bareMs),
      controlUs: addedUs(controlMs, bareMs),
      pluginUs: median(pluginMs) * 1000,
      bareUs: median(bareMs) * 1000,
      handRolledUs: median(handMs) * 1000,
      authRefreshUs: median(refreshMs) * 1000,
      vsHandRolled: medianRatio(pluginMs, handMs),
      vsAuthRefresh: medianRatio(pluginMs, refreshMs),
    };
  } finally {
    for (const client of clients) client.close();
  }
}

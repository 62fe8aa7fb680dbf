// Continuous traffic across several lifetimes of short-lived tokens: does any request wait for
// the token endpoint once the first token is cached, and what does refresh do to tail latency?
import { createPluginClient, createStaticClient } from '../lib/clients.js';
import { median, nowMs, percentile } from '../lib/stats.js';

const PATH = '/api/items';
/** Both sides together stop after this many requests, even if the time has not run out. */
const MAX_REQUESTS = 1_000_000;

/** Marks when a request leaves the plugin's request interceptor. Register it before attaching. */
function markExit(api, arrivals) {
  api.interceptors.request.use((config) => {
    config.benchAuthMs = nowMs() - config.benchEnteredAt;
    config.benchWaited = arrivals.arrivals !== config.benchArrivalsAtEntry;
    return config;
  });
}

/**
 * Marks when a request enters the plugin's request interceptor. Register it after attaching:
 * axios runs request interceptors last-registered-first, so this one runs just before the
 * plugin's.
 */
function markEntry(api, arrivals) {
  api.interceptors.request.use((config) => {
    config.benchArrivalsAtEntry = arrivals.arrivals;
    config.benchEnteredAt = nowMs();
    return config;
  });
}

/**
 * Runs `workers` loops that each send one plugin request and one bare request in turn, swapping
 * the order every iteration, for `lifetimes` token lifetimes after a warm-up.
 */
export async function benchContinuous(server, credentialsPath, counts) {
  const { lifetimeSeconds } = counts;
  const expiryMarginMs = (lifetimeSeconds * 1000) / 6;
  const refreshAheadMs = (lifetimeSeconds * 1000) / 3;

  // The baseline keeps one long-lived token, and the plugin gets short-lived ones from here on.
  const long = createPluginClient(server, credentialsPath);
  const bare = createStaticClient(server, await long.auth.getAccessToken());
  long.close();
  await server.setTokenLifetime(lifetimeSeconds);

  const arrivals = { arrivals: 0, leftOnOldMs: [], lastExpiresAt: undefined };
  const plugin = createPluginClient(server, credentialsPath, {
    options: { expiryMarginSeconds: expiryMarginMs / 1000, refreshAheadSeconds: refreshAheadMs / 1000 },
    beforeAttach: (api) => markExit(api, arrivals),
  });
  plugin.auth.events.on('token:success', ({ expiresAt }) => {
    arrivals.arrivals++;
    if (arrivals.lastExpiresAt !== undefined) arrivals.leftOnOldMs.push(arrivals.lastExpiresAt - Date.now());
    arrivals.lastExpiresAt = expiresAt;
  });
  markEntry(plugin.api, arrivals);

  try {
    const samples = await drive(plugin.api, bare.api, counts);
    return {
      ...summarize(samples, counts),
      tokensFetched: arrivals.arrivals,
      leftOnOldMs: median(arrivals.leftOnOldMs),
      expiryMarginMs,
      refreshAheadMs,
    };
  } finally {
    plugin.close();
    bare.close();
    await server.setTokenLifetime(3600);
  }
}

async function drive(pluginApi, bareApi, { lifetimeSeconds, lifetimes, workers, warmupMs }) {
  const samples = { plugin: [], bare: [], failed: 0 };
  const measureFrom = nowMs() + warmupMs;
  const end = measureFrom + lifetimes * lifetimeSeconds * 1000;
  let sent = 0;

  const send = async (side, api) => {
    const started = nowMs();
    try {
      const { config } = await api.get(PATH);
      if (started < measureFrom) return;
      const latencyMs = nowMs() - started;
      samples[side].push({ at: started - measureFrom, latencyMs, waited: config.benchWaited, authMs: config.benchAuthMs });
    } catch {
      samples.failed++;
    }
  };
  const loop = async (worker) => {
    for (let turn = worker; nowMs() < end && sent < MAX_REQUESTS; turn++) {
      sent += 2;
      const order = turn % 2 === 0 ? ['plugin', 'bare'] : ['bare', 'plugin'];
      for (const side of order) await send(side, side === 'plugin' ? pluginApi : bareApi);
    }
  };
  await Promise.all(Array.from({ length: workers }, (_, worker) => loop(worker)));
  return samples;
}

/** Computes the wait count and the p99 ratio per token lifetime, then their median. */
function summarize(samples, { lifetimeSeconds, lifetimes }) {
  const windowMs = lifetimeSeconds * 1000;
  const inWindow = (list, index) =>
    list.filter(({ at }) => at >= index * windowMs && at < (index + 1) * windowMs).map(({ latencyMs }) => latencyMs);
  const ratios = [];
  for (let index = 0; index < lifetimes; index++) {
    const plugin = inWindow(samples.plugin, index);
    const bare = inWindow(samples.bare, index);
    if (plugin.length > 0 && bare.length > 0) ratios.push(percentile(plugin, 99) / percentile(bare, 99));
  }
  const latencies = (list) => list.map(({ latencyMs }) => latencyMs);
  return {
    requests: samples.plugin.length,
    waited: samples.plugin.filter(({ waited }) => waited).length,
    maxAuthMs: Math.max(...samples.plugin.map(({ authMs }) => authMs)),
    failed: samples.failed,
    p99Ratio: median(ratios),
    pluginP99Ms: percentile(latencies(samples.plugin), 99),
    bareP99Ms: percentile(latencies(samples.bare), 99),
  };
}

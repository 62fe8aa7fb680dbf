// Many requests at once with no usable token: a cold cache, and a token that the server revoked.
// Token requests are read from the token server's counters.
import { createPluginClient, createStaticClient } from '../lib/clients.js';
import { interleave, median, nowMs } from '../lib/stats.js';

const PATH = '/api/items';

/** Sends `count` requests at once; returns the elapsed milliseconds and the failures. */
async function burst(api, count) {
  const started = nowMs();
  const results = await Promise.allSettled(Array.from({ length: count }, () => api.get(PATH)));
  const elapsedMs = nowMs() - started;
  return { elapsedMs, failed: results.filter((result) => result.status === 'rejected').length };
}

async function tokenRequestsDuring(server, action) {
  const before = (await server.counters()).tokenRequests;
  const result = await action();
  const after = (await server.counters()).tokenRequests;
  return { ...result, tokenRequests: after - before };
}

/**
 * Cold cache: `count` concurrent requests through a freshly attached plugin, against one token
 * fetch (timed alone on another fresh plugin) plus the same burst through bare axios. Every burst
 * gets a new instance, so both sides start without open sockets.
 */
export async function benchColdCache(server, credentialsPath, counts) {
  const { rounds, requests } = counts;
  const warm = createPluginClient(server, credentialsPath);
  const token = await warm.auth.getAccessToken();
  warm.close();

  const coldBurst = async () => {
    const client = createPluginClient(server, credentialsPath);
    try {
      return await tokenRequestsDuring(server, () => burst(client.api, requests));
    } finally {
      client.close();
    }
  };
  const oneFetch = async () => {
    const client = createPluginClient(server, credentialsPath);
    const started = nowMs();
    await client.auth.getAccessToken();
    const elapsedMs = nowMs() - started;
    client.close();
    return elapsedMs;
  };

  const bareBurst = async () => {
    const client = createStaticClient(server, token);
    try {
      return await burst(client.api, requests);
    } finally {
      client.close();
    }
  };

  await bareBurst();
  const [cold, fetches, baselines] = await interleave(rounds, [coldBurst, oneFetch, bareBurst]);
  const ratios = cold.map(({ elapsedMs }, index) => elapsedMs / (fetches[index] + baselines[index].elapsedMs));
  return {
    tokenRequests: cold.map((round) => round.tokenRequests),
    failed: cold.reduce((sum, round) => sum + round.failed, 0),
    baselineFailed: baselines.reduce((sum, round) => sum + round.failed, 0),
    timeRatio: median(ratios),
    coldMs: median(cold.map((round) => round.elapsedMs)),
    fetchMs: median(fetches),
    baselineMs: median(baselines.map((round) => round.elapsedMs)),
  };
}

/** Revoked token: the server revokes every token, then `count` requests go out at once. */
export async function benchRevoked(server, credentialsPath, counts) {
  const { rounds, requests } = counts;
  const client = createPluginClient(server, credentialsPath);
  let retries = 0;
  client.auth.events.on('request:retry', () => retries++);

  try {
    await client.auth.getAccessToken();
    const results = [];
    for (let round = 0; round < rounds; round++) {
      await server.revokeAll();
      results.push(await tokenRequestsDuring(server, () => burst(client.api, requests)));
    }
    return {
      tokenRequests: results.map((round) => round.tokenRequests),
      failed: results.reduce((sum, round) => sum + round.failed, 0),
      retries,
    };
  } finally {
    client.close();
  }
}

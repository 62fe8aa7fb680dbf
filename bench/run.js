// Entry point of `npm run bench`: starts the local token server on 127.0.0.1, runs every section
// with both sides measured in the same run, and prints one table. See docs/benchmarks.md.
import { counts, RUN_TIMEOUT_MS, smoke } from './config.js';
import { describeMachine } from './lib/machine.js';
import { redisStoreUnavailable } from './lib/redis-store.js';
import { startServerProcess } from './lib/server-process.js';
import {
  atMost,
  below,
  exactly,
  formatCounts,
  formatMb,
  formatMs,
  formatRatio,
  formatUs,
  renderTable,
  reported,
  row,
  skipped,
  worstCount,
} from './lib/table.js';
import { benchContinuous } from './sections/continuous.js';
import { benchMemoryFleet, benchRedisFleet } from './sections/fleet.js';
import { benchInterceptors, benchLoopback } from './sections/hot-path.js';
import { benchMemory } from './sections/memory.js';
import { benchSigning } from './sections/signing.js';
import { benchColdCache, benchRevoked } from './sections/token-storms.js';

const SAME = 'same';
const { cold, revoked, continuous, memory, fleet } = counts;
const thousands = (value) => value.toLocaleString('en-US');

/** Every section: its rows, and a function that measures and returns one result per row. */
const sections = [
  {
    title: 'cached token over loopback',
    rows: [
      row('cached token, sequential', 'time per request vs bare axios with a static `Authorization` header', '<= 1.03'),
      row(`cached token, concurrency ${counts.loopback.concurrency}`, SAME, '<= 1.03'),
    ],
    async measure({ server, credentialsPath }) {
      const result = await benchLoopback(server, credentialsPath, counts.loopback);
      return [
        atMost(
          result.sequentialRatio,
          1.03,
          `${formatRatio(result.sequentialRatio)} (A/A control ${formatRatio(result.sequentialControl)}; bare: ${formatUs(result.sequentialBareUs)}/request)`,
        ),
        atMost(
          result.concurrentRatio,
          1.03,
          `${formatRatio(result.concurrentRatio)} (A/A control ${formatRatio(result.concurrentControl)}; bare: ${formatUs(result.concurrentBareUs)}/request)`,
        ),
      ];
    },
  },
  {
    title: 'interceptors alone (no-op adapter)',
    rows: [
      row('cached token, no-op adapter (pure interceptor cost)', 'added microseconds per request', '<= 2 us'),
      row('same, vs the interceptor most users write by hand (jose + axios, cached token)', 'ratio', '<= 1.0'),
      row('same, vs axios-auth-refresh wired to the same fetcher', 'ratio', '<= 1.0'),
    ],
    async measure({ server, credentialsPath }) {
      const result = await benchInterceptors(server, credentialsPath, counts.interceptors);
      return [
        atMost(
          result.addedUs,
          2,
          `${formatUs(result.addedUs)} (A/A control ${formatUs(result.controlUs)}; plugin ${formatUs(result.pluginUs)}, bare ${formatUs(result.bareUs)})`,
        ),
        atMost(result.vsHandRolled, 1, `${formatRatio(result.vsHandRolled)} (by hand: ${formatUs(result.handRolledUs)})`),
        atMost(result.vsAuthRefresh, 1, `${formatRatio(result.vsAuthRefresh)} (axios-auth-refresh: ${formatUs(result.authRefreshUs)})`),
      ];
    },
  },
  {
    title: 'cold cache',
    rows: [
      row(`${thousands(cold.requests)} concurrent requests on a cold cache`, 'token requests', '1'),
      row(SAME, 'total time vs one token fetch plus the baseline', '<= 1.1'),
    ],
    async measure({ server, credentialsPath }) {
      const result = await benchColdCache(server, credentialsPath, cold);
      const worst = worstCount(result.tokenRequests, 1);
      const timing = `${formatMs(result.coldMs)} vs ${formatMs(result.fetchMs)} + ${formatMs(result.baselineMs)}`;
      return [
        exactly(worst, 1, `${formatCounts(result.tokenRequests, worst)}; failed: ${result.failed}`),
        atMost(result.timeRatio, 1.1, `${formatRatio(result.timeRatio)} (${timing})`),
      ];
    },
  },
  {
    title: 'revoked token',
    rows: [
      row(`${thousands(revoked.requests)} concurrent requests on a revoked token`, 'token requests', '1'),
      row(SAME, 'failed requests', '0'),
    ],
    async measure({ server, credentialsPath }) {
      const result = await benchRevoked(server, credentialsPath, revoked);
      const worst = worstCount(result.tokenRequests, 1);
      return [
        exactly(worst, 1, formatCounts(result.tokenRequests, worst)),
        exactly(result.failed, 0, `${result.failed} (retried after 401: ${thousands(result.retries)})`),
      ];
    },
  },
  {
    title: 'continuous traffic',
    rows: [
      row(
        `continuous traffic across ${continuous.lifetimes} token lifetimes (${continuous.lifetimeSeconds} s tokens)`,
        'requests that waited on the token endpoint after warm-up',
        '0',
      ),
      row(SAME, 'p99 latency vs baseline', '<= 1.1'),
    ],
    async measure({ server, credentialsPath }) {
      const result = await benchContinuous(server, credentialsPath, continuous);
      const left = `median ${formatMs(result.leftOnOldMs)} left on the old token when a new one arrived`;
      const detail = `${thousands(result.requests)} requests, ${result.tokensFetched} tokens fetched, ${left}, failed: ${result.failed}`;
      const p99 = `plugin ${formatMs(result.pluginP99Ms)}, bare ${formatMs(result.bareP99Ms)} overall`;
      return [
        exactly(result.waited, 0, `${result.waited} (${detail})`),
        atMost(result.p99Ratio, 1.1, `${formatRatio(result.p99Ratio)} (${p99})`),
      ];
    },
  },
  {
    title: 'assertion signing',
    rows: [
      row('assertion signing RS256 (RSA 2048)', 'microseconds per assertion (key parsed once)', 'report'),
      row('assertion signing ES256 (P-256)', SAME, 'report'),
    ],
    async measure({ server }) {
      const result = await benchSigning(server, counts.signing);
      return [reported(formatUs(result.rs256Us)), reported(formatUs(result.es256Us))];
    },
  },
  {
    title: 'memory',
    rows: [
      row(`${thousands(memory.requests.requests)} requests`, 'heap growth after GC', '< 5 MB'),
      row(`${thousands(memory.attach.cycles)} attach/detach cycles`, 'heap growth after GC', '< 5 MB'),
      row(SAME, 'interceptor count', 'baseline'),
    ],
    async measure({ server, credentialsPath }) {
      const result = await benchMemory(server, credentialsPath, memory, RUN_TIMEOUT_MS);
      const { baseline, after } = result.attach;
      const same = baseline.request === after.request && baseline.response === after.response;
      const limit = 5 * 1024 * 1024;
      return [
        below(result.requests.bytes, limit, formatMb(result.requests.bytes)),
        below(result.attach.bytes, limit, formatMb(result.attach.bytes)),
        {
          text: `request ${after.request}, response ${after.response} (baseline ${baseline.request}, ${baseline.response})`,
          verdict: same ? 'met' : 'missed',
        },
      ];
    },
  },
  {
    title: 'fleet',
    rows: [
      row(
        `fleet: ${fleet.workers} worker processes started together on a cold cache, ${fleet.concurrency} concurrent requests each`,
        'token requests, in-memory store',
        `expected ${fleet.workers}`,
      ),
      row(SAME, 'token requests, Redis store', '1'),
      row('same, Redis stopped mid-run', 'failed requests', '0'),
    ],
    async measure({ server, credentialsPath }) {
      const inMemory = await benchMemoryFleet(server, credentialsPath, fleet);
      const memoryWorst = worstCount(inMemory.tokenRequests, fleet.workers);
      const memoryText = `${formatCounts(inMemory.tokenRequests, memoryWorst)}; failed: ${inMemory.failed}`;
      const memoryRow = exactly(memoryWorst, fleet.workers, memoryText);
      const unavailable = await redisStoreUnavailable();
      if (unavailable !== undefined) return [memoryRow, skipped(unavailable), skipped(unavailable)];

      let redis;
      try {
        redis = await benchRedisFleet(server, credentialsPath, fleet);
      } catch (error) {
        return [memoryRow, skipped(error.message), skipped(error.message)];
      }
      const { stopped } = redis;
      const redisWorst = worstCount(redis.tokenRequests, 1);
      return [
        memoryRow,
        exactly(redisWorst, 1, `${formatCounts(redis.tokenRequests, redisWorst)}; failed: ${redis.failed}`),
        exactly(stopped.failed, 0, `${stopped.failed} (after revoking every token: ${stopped.tokenRequests} token requests, ${stopped.storeErrors} store errors)`),
      ];
    },
  },
];

async function runSection(section, context, index) {
  const started = performance.now();
  process.stderr.write(`[${index + 1}/${sections.length}] ${section.title} ... `);
  let results;
  try {
    results = await section.measure(context);
  } catch (error) {
    results = section.rows.map(() => ({ text: `error: ${error.message}`, verdict: 'error' }));
  }
  process.stderr.write(`${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  return section.rows.map((entry, position) => ({ ...entry, result: results[position] }));
}

async function main() {
  const started = performance.now();
  const server = await startServerProcess();
  const watchdog = setTimeout(() => {
    process.stderr.write(`\nThe benchmark passed ${RUN_TIMEOUT_MS / 1000} s and stops.\n`);
    void server.close().finally(() => process.exit(1));
  }, RUN_TIMEOUT_MS);

  const rows = [];
  try {
    const { path: credentialsPath } = await server.createCredentials('RS256');
    for (const [index, section] of sections.entries()) {
      rows.push(...(await runSection(section, { server, credentialsPath }, index)));
    }
  } finally {
    clearTimeout(watchdog);
    await server.close();
  }

  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`${describeMachine()}\nmode: ${smoke ? 'smoke (BENCH_SMOKE=1, tiny counts)' : 'full'}; total time: ${seconds} s\n`);
  console.log(renderTable(rows));
  if (rows.some((entry) => entry.result.verdict === 'error')) process.exitCode = 1;
}

await main();

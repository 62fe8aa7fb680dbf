// Request counts, rounds and durations of every section. BENCH_SMOKE=1 selects tiny counts that
// only check that the benchmark runs to the end and prints every row.
const FULL = {
  loopback: { rounds: 41, sequential: 50, concurrent: 250, concurrency: 50, warmup: 300 },
  interceptors: { rounds: 25, requests: 2000, warmup: 5000 },
  cold: { rounds: 5, requests: 10_000 },
  revoked: { rounds: 5, requests: 1000 },
  continuous: { lifetimeSeconds: 3, lifetimes: 10, workers: 4, warmupMs: 1000 },
  signing: { rounds: 7, rs256Count: 200, es256Count: 1000 },
  memory: {
    requests: { requests: 100_000, concurrency: 50, warmup: 2000 },
    attach: { cycles: 10_000 },
  },
  fleet: { workers: 16, concurrency: 200, rounds: 3, timeoutMs: 60_000 },
};

const SMOKE = {
  loopback: { rounds: 2, sequential: 5, concurrent: 20, concurrency: 5, warmup: 5 },
  interceptors: { rounds: 2, requests: 50, warmup: 50 },
  cold: { rounds: 1, requests: 50 },
  revoked: { rounds: 1, requests: 20 },
  continuous: { lifetimeSeconds: 1, lifetimes: 2, workers: 2, warmupMs: 200 },
  signing: { rounds: 1, rs256Count: 2, es256Count: 2 },
  memory: {
    requests: { requests: 100, concurrency: 5, warmup: 10 },
    attach: { cycles: 20 },
  },
  fleet: { workers: 2, concurrency: 5, rounds: 1, timeoutMs: 30_000 },
};

export const smoke = process.env.BENCH_SMOKE === '1';
export const counts = smoke ? SMOKE : FULL;

/** The whole run stops, and cleans up, if it takes longer than this. */
export const RUN_TIMEOUT_MS = smoke ? 120_000 : 600_000;

// Small statistics and timing helpers shared by the benchmark sections.

/** Returns the median of a list of numbers. */
export function median(values) {
  return percentile(values, 50);
}

/** Returns the p-th percentile (nearest rank) of a list of numbers. */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Returns the current time in milliseconds from a monotonic clock. */
export function nowMs() {
  return performance.now();
}

/**
 * Runs every measure once per round for `rounds` rounds, rotating which one goes first, so that
 * no side always meets a warmer or a busier machine. Returns one list of results per measure.
 */
export async function interleave(rounds, measures) {
  const results = measures.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (let step = 0; step < measures.length; step++) {
      const index = (round + step) % measures.length;
      results[index].push(await measures[index](round));
    }
  }
  return results;
}

/** Returns the median of the per-round ratios a[i] / b[i]. */
export function medianRatio(a, b) {
  return median(a.map((value, index) => value / b[index]));
}

/** Runs `task(index)` for indexes 0..count-1 with at most `concurrency` in flight. */
export async function runPool(count, concurrency, task) {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(count, concurrency) }, worker));
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

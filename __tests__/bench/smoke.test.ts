import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

// Runs `npm run bench` with tiny counts (BENCH_SMOKE=1) to check that every section runs to the
// end and prints its rows. The figures of a smoke run mean nothing, so nothing here checks them.

const run = promisify(execFile);
const root = resolve(__dirname, '..', '..');
const TIMEOUT_MS = 180_000;

/** Scenario or measure text of every row that the benchmark must print. */
const EXPECTED_ROWS = [
  'cached token, sequential',
  'cached token, concurrency',
  'no-op adapter (pure interceptor cost)',
  'write by hand (jose + axios, cached token)',
  'axios-auth-refresh wired to the same fetcher',
  'concurrent requests on a cold cache',
  'total time vs one token fetch plus the baseline',
  'concurrent requests on a revoked token',
  'continuous traffic across',
  'p99 latency vs baseline',
  'assertion signing RS256',
  'assertion signing ES256',
  'heap growth after GC',
  'attach/detach cycles',
  'interceptor count',
  'token requests, in-memory store',
  'token requests, Redis store',
  'Redis stopped mid-run',
];

let distDir: string;

beforeAll(async () => {
  // Build into a folder of our own, so that this test never races another build of dist/.
  await mkdir(join(root, '.tmp'), { recursive: true });
  distDir = await mkdtemp(join(root, '.tmp', 'bench-smoke-'));
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  await run(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', distDir], { cwd: root });
}, TIMEOUT_MS);

afterAll(async () => {
  if (distDir !== undefined) await rm(distDir, { recursive: true, force: true });
});

test('bench smoke run prints every row', async () => {
  const { stdout } = await run(process.execPath, ['bench/run.js'], {
    cwd: root,
    env: { ...process.env, BENCH_SMOKE: '1', BENCH_DIST_DIR: distDir },
    timeout: TIMEOUT_MS,
  });
  const rows = stdout.split('\n').filter((line) => /^\| (?!scenario |-)/.test(line));

  expect(stdout).toContain('mode: smoke');
  for (const text of EXPECTED_ROWS) expect(stdout).toContain(text);
  expect(rows).toHaveLength(19);
  expect(rows.filter((line) => /\| error +\|$/.test(line))).toEqual([]);
}, TIMEOUT_MS);

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const root = resolve(__dirname, '../..');
const workerPath = join(root, '__tests__/fixtures/fleet-worker.mjs');

/** A JSON line printed by the fleet worker; see the header of fleet-worker.mjs. */
export interface WorkerLine {
  type: 'ready' | 'run' | 'invalidate' | 'exit' | 'error';
  pid?: number;
  requests?: number;
  ok?: number;
  failed?: number;
  failures?: Record<string, number>;
  events: { tokenRequests: number; tokenSuccesses: number; tokenErrors: number; storeErrors: Record<string, number> };
}

export interface FleetWorker {
  readonly process: ChildProcess;
  /** Sends one command and resolves with its reply line. */
  send(command: string): Promise<WorkerLine>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
}

/**
 * Compiles lib/ into a private folder for the worker processes, which run plain Node and cannot
 * load TypeScript. A private folder keeps other suites' builds of dist/ from racing with ours.
 */
export function buildLibrary(): { dir: string; remove(): void } {
  mkdirSync(join(root, '.tmp'), { recursive: true });
  const dir = mkdtempSync(join(root, '.tmp', 'fleet-lib-'));
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  const args = [tsc, '-p', 'tsconfig.build.json', '--outDir', dir, '--declaration', 'false', '--sourceMap', 'false'];
  const build = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`Building lib/ for the fleet workers failed:\n${build.stdout}${build.stderr}`);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Starts `count` workers and resolves once each has printed its ready line. */
export async function startFleet(count: number, env: Record<string, string>): Promise<FleetWorker[]> {
  return Promise.all(Array.from({ length: count }, () => startWorker(env)));
}

async function startWorker(env: Record<string, string>): Promise<FleetWorker> {
  const child = spawn(process.execPath, [workerPath], {
    cwd: root,
    env: { ...process.env, FLEET_LIFETIME_MS: '60000', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const waiting: Array<{ resolve(line: WorkerLine): void; reject(error: Error): void }> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => waiting.shift()?.resolve(JSON.parse(line)));
  void exited.then(() => {
    for (const waiter of waiting.splice(0)) waiter.reject(new Error(`Fleet worker exited early: ${stderr.slice(-1000)}`));
  });
  const nextLine = () => new Promise<WorkerLine>((resolve, reject) => waiting.push({ resolve, reject }));

  const ready = await nextLine();
  if (ready.type !== 'ready') throw new Error(`Fleet worker did not start: ${JSON.stringify(ready)}`);
  return {
    process: child,
    exited,
    send(command) {
      const reply = nextLine();
      child.stdin!.write(`${command}\n`);
      return reply;
    },
  };
}

/** Kills every worker still running and waits for them to exit. */
export async function stopFleet(workers: FleetWorker[]): Promise<void> {
  for (const worker of workers) worker.process.kill('SIGKILL');
  await Promise.all(workers.map((worker) => worker.exited));
}

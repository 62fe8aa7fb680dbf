import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createConnection, createServer, type AddressInfo } from 'node:net';

/** A redis-server of our own on 127.0.0.1, without persistence, that tests may stop and restart. */
export interface TestRedisServer {
  readonly port: number;
  /** Such as 'redis://127.0.0.1:PORT'. */
  readonly url: string;
  /** Stops the server (SIGTERM, then SIGKILL after 2 s). Safe to call when it is not running. */
  stop(): Promise<void>;
  /** Starts the server again on the same port, empty. */
  restart(): Promise<void>;
  /** Freezes the process (SIGSTOP), so it accepts connections but replies to nothing. */
  pause(): void;
  resume(): void;
}

const READY_TIMEOUT_MS = 10_000;

/**
 * Starts redis-server on a free port. Fails with instructions when redis-server is not installed,
 * so a machine without it never passes the Redis suites by skipping them.
 */
export async function startRedisServer(): Promise<TestRedisServer> {
  assertInstalled();
  const port = await findFreePort();
  let child: ChildProcess | undefined = await launch(port);

  // Also stop the server if the test process exits without running afterAll.
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      const running = child;
      child = undefined;
      if (running !== undefined) await terminate(running);
      process.removeListener('exit', killOnExit);
    },
    async restart() {
      if (child !== undefined) await terminate(child);
      child = await launch(port);
      process.once('exit', killOnExit);
    },
    pause() {
      child?.kill('SIGSTOP');
    },
    resume() {
      child?.kill('SIGCONT');
    },
  };
}

function assertInstalled(): void {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error(
      'redis-server is not installed, and the Redis test suites need a real server. Install it with ' +
        '`apt-get update && apt-get install -y redis-server` (.ci/run does this in CI).',
    );
  }
}

async function launch(port: number): Promise<ChildProcess> {
  const args = ['--save', '', '--appendonly', 'no', '--port', String(port), '--bind', '127.0.0.1'];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    if (await answersPing(port)) return child;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not start on 127.0.0.1:${port}. Its output:\n${output.slice(-2000)}`);
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  // A paused server ignores SIGTERM until it runs again.
  child.kill('SIGCONT');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
  await exited;
  clearTimeout(timer);
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

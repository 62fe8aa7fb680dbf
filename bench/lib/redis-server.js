// Starts a throwaway redis-server on 127.0.0.1 for the fleet rows: no persistence, a free port,
// stopped at the end of the run.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

const START_TIMEOUT_MS = 10_000;

async function freePort() {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * Starts redis-server and resolves once it accepts connections. Rejects with a message for the
 * table when the binary is missing or the server does not come up within 10 seconds.
 */
export async function startRedisServer() {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';

  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`redis-server did not accept connections within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(error.code === 'ENOENT' ? 'redis-server is not installed' : error.message));
    });
    const onEarlyExit = (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with code ${code}: ${output.trim().split('\n').pop()}`));
    };
    child.once('exit', onEarlyExit);
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.off('exit', onEarlyExit);
        resolve();
      }
    });
  });

  let stopped = false;
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (stopped) return;
      stopped = true;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

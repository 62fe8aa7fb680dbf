// Starts bench/lib/server-host.js in a child process and wraps its IPC commands.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const HOST_SCRIPT = fileURLToPath(new URL('./server-host.js', import.meta.url));
const COMMAND_TIMEOUT_MS = 30_000;

/** Starts the token server in a child process and resolves once it listens on 127.0.0.1. */
export async function startServerProcess() {
  const child = fork(HOST_SCRIPT, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map();
  let nextId = 0;

  const [first] = await once(child, 'message');
  if (first?.ready !== true) throw new Error('The token server process did not start.');
  child.on('message', ({ id, result, error }) => {
    const entry = pending.get(id);
    if (entry === undefined) return;
    pending.delete(id);
    clearTimeout(entry.timer);
    if (error === undefined) entry.resolve(result);
    else entry.reject(new Error(`Token server command failed: ${error}`));
  });

  const call = (command, ...args) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`Token server command ${command} timed out after ${COMMAND_TIMEOUT_MS} ms.`));
      }, COMMAND_TIMEOUT_MS);
      pending.set(id, { resolve, reject, timer });
      child.send({ id, command, args });
    });

  const { url, tokenUri } = await call('info');
  return {
    url,
    tokenUri,
    counters: () => call('counters'),
    resetCounters: () => call('resetCounters'),
    revokeAll: () => call('revokeAll'),
    setTokenLifetime: (seconds) => call('setTokenLifetime', seconds),
    createCredentials: (alg = 'RS256') => call('createCredentials', alg),
    async close() {
      const exited = once(child, 'exit');
      await call('close').catch(() => child.kill());
      await exited;
    },
  };
}

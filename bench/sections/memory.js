// Starts the memory rows in a child process with --expose-gc and returns its figures.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./memory-child.js', import.meta.url));

/** Runs memory-child.js against the token server and returns its result. */
export async function benchMemory(server, credentialsPath, counts, timeoutMs) {
  const child = fork(CHILD, [], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const timer = setTimeout(() => child.kill(), timeoutMs);
  try {
    const exited = once(child, 'exit');
    child.send({ url: server.url, credentialsPath, counts });
    const [result] = await Promise.race([
      once(child, 'message'),
      exited.then(([code]) => {
        throw new Error(`The memory benchmark process exited with code ${code} before reporting.`);
      }),
    ]);
    await exited;
    return result;
  } finally {
    clearTimeout(timer);
  }
}

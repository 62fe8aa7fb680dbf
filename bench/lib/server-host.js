// Child process that runs the local token server and its API routes, so that the server's work
// runs on its own event loop (and, on a multi-core machine, its own core) and does not count
// against the client being measured. The parent drives it over IPC: see server-process.js.
import { importDist } from './dist.js';

const { startTokenServer } = await importDist('testing/index.js');

const server = await startTokenServer({ host: '127.0.0.1' });

const commands = {
  info: () => ({ url: server.url, tokenUri: server.tokenUri }),
  counters: () => ({
    tokenRequests: server.tokenRequests,
    tokensIssued: server.tokensIssued,
    apiRequests: server.apiRequests,
  }),
  resetCounters: () => server.resetCounters(),
  revokeAll: () => server.revokeAll(),
  setTokenLifetime: (seconds) => {
    server.tokenLifetimeSeconds = seconds;
  },
  createCredentials: async (alg) => {
    const { path } = await server.createCredentials({ alg });
    return { path };
  },
  close: async () => {
    await server.close();
    setImmediate(() => process.exit(0));
  },
};

process.on('message', async ({ id, command, args }) => {
  try {
    const result = await commands[command](...(args ?? []));
    process.send({ id, result });
  } catch (error) {
    process.send({ id, error: error instanceof Error ? error.message : String(error) });
  }
});

// The parent went away without asking us to close: stop, so no server outlives the run.
process.on('disconnect', () => {
  void server.close().finally(() => process.exit(0));
});

process.send({ ready: true });

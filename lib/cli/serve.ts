import { startTokenServer, type LocalTokenServer } from '../testing/index.js';
import { printMessage, printResult } from './output.js';
import {
  choiceOption,
  EXIT_FAILURE,
  EXIT_OK,
  integerOption,
  parseCommandArgs,
  rejectExtraPositionals,
  UsageError,
} from './usage.js';

const options = {
  host: { type: 'string' },
  port: { type: 'string', short: 'p' },
  alg: { type: 'string' },
  'credentials-dir': { type: 'string' },
  'token-lifetime': { type: 'string' },
  format: { type: 'string', short: 'f' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Help text of `vendasta-auth serve`. */
export const SERVE_HELP = `Usage: vendasta-auth serve [options]

Runs the local Vendasta-compatible token server in the foreground, for your own integration
tests. It writes a fresh service-account key file that the server trusts, prints the server URL,
the token URI and the key file path on stdout, and stops on Ctrl+C (SIGINT) or SIGTERM.
Protected test routes answer under <url>/api/ and <url>/oauth2/user-info.

Options:
      --host <address>           Address to listen on. Default: 127.0.0.1.
  -p, --port <port>              Port to listen on, 0 for a free one. Default: 0.
      --alg <alg>                RS256 (default) or ES256: the key type of the written file.
      --credentials-dir <dir>    Folder for the key file, which is kept on exit. Default: a new
                                 temporary folder, removed on exit.
      --token-lifetime <seconds> expires_in of issued tokens, 1 to 86400. Default: 3600.
  -f, --format <format>          text (default), or json for one JSON line with url, tokenUri
                                 and credentials.
  -h, --help                     Shows this help.`;

/** Runs `vendasta-auth serve` until SIGINT or SIGTERM and returns the exit status. */
export async function runServe(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('serve', args, options);
  if (values.help === true) {
    printResult(SERVE_HELP);
    return EXIT_OK;
  }

  rejectExtraPositionals('serve', positionals, 0);
  const format = choiceOption('serve', 'format', values.format, ['text', 'json'] as const, 'text');
  const alg = choiceOption('serve', 'alg', values.alg, ['RS256', 'ES256'] as const, 'RS256');
  const port = integerOption('serve', 'port', values.port, { min: 0, max: 65535, fallback: 0 });
  const tokenLifetimeSeconds = integerOption('serve', 'token-lifetime', values['token-lifetime'], {
    min: 1,
    max: 86_400,
    fallback: 3600,
  });
  const host = values.host ?? '127.0.0.1';
  if (host.trim() === '') throw new UsageError('Option --host must not be empty.', 'serve');

  const server = await startTokenServer({ host, port, tokenLifetimeSeconds });
  try {
    const dir = values['credentials-dir'];
    const { path } = await server.createCredentials({ alg, ...(dir === undefined ? {} : { dir }) });
    printAddresses(server, path, format);
  } catch (error) {
    await server.close();
    throw error;
  }
  return waitForSignal(server);
}

function printAddresses(server: LocalTokenServer, credentialsPath: string, format: 'text' | 'json'): void {
  if (format === 'json') {
    printResult(JSON.stringify({ url: server.url, tokenUri: server.tokenUri, credentials: credentialsPath }));
  } else {
    printResult(`url          ${server.url}`);
    printResult(`token URI    ${server.tokenUri}`);
    printResult(`credentials  ${credentialsPath}`);
  }
  printMessage(`token server listening on ${server.url}; stop it with Ctrl+C`);
}

/**
 * Waits for SIGINT or SIGTERM, then closes the server. A second signal during the close exits at
 * once with status 1.
 */
function waitForSignal(server: LocalTokenServer): Promise<number> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.once('SIGINT', forceExit);
      process.once('SIGTERM', forceExit);
      printMessage(`${signal} received, stopping`);
      server.close().then(
        () => {
          printMessage(describeTotals(server));
          resolve(EXIT_OK);
        },
        (error: unknown) => {
          const reason = error instanceof Error ? error.message : String(error);
          printMessage(`closing the server failed: ${reason}`);
          resolve(EXIT_FAILURE);
        },
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

function describeTotals(server: LocalTokenServer): string {
  const { tokenRequests, tokensIssued, apiRequests } = server;
  return `stopped after ${tokenRequests} token requests, ${tokensIssued} tokens issued and ${apiRequests} API requests`;
}

function forceExit(signal: NodeJS.Signals): void {
  printMessage(`${signal} received again, exiting without waiting for the close`);
  process.exit(EXIT_FAILURE);
}

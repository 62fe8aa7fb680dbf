#!/usr/bin/env node
import { readFileSync } from 'node:fs';

import { CHECK_HELP, runCheck } from './cli/check.js';
import { printError, printResult } from './cli/output.js';
import { runServe, SERVE_HELP } from './cli/serve.js';
import { runToken, TOKEN_HELP } from './cli/token.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from './cli/usage.js';

const HELP = `Usage: vendasta-auth <command> [options]

Commands:
  token [credentials.json] [scope ...]  Prints an access token for a service account.
  check [credentials.json]              Validates a key file offline; --online fetches a token.
  serve                                 Runs the local token server for integration tests.
  help [command]                        Shows help for a command.

Options:
  -h, --help     Shows this help.
  -v, --version  Prints the version.

The credentials file defaults to VENDASTA_APPLICATION_CREDENTIALS.

Exit status: 0 success, 1 authentication or runtime failure, 2 invalid command line.`;

const commandHelp: Record<string, string> = { token: TOKEN_HELP, check: CHECK_HELP, serve: SERVE_HELP };

async function run(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case 'token':
      return runToken(rest, process.env);
    case 'check':
      return runCheck(rest, process.env);
    case 'serve':
      return runServe(rest);
    case 'help':
      return printHelp(rest[0]);
    case '-h':
    case '--help':
      return printHelp(undefined);
    case '-v':
    case '--version':
      printResult(readVersion());
      return EXIT_OK;
    case undefined:
      throw new UsageError('No command given: use token, check or serve.');
    default:
      throw new UsageError(`Unknown command "${command}": use token, check or serve.`);
  }
}

function printHelp(command: string | undefined): number {
  if (command === undefined) {
    printResult(HELP);
    return EXIT_OK;
  }
  const help = commandHelp[command];
  if (help === undefined) throw new UsageError(`No help for unknown command "${command}".`);
  printResult(help);
  return EXIT_OK;
}

function readVersion(): string {
  // The file is dist/cli.js in the package, so package.json is one folder up.
  const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
  const manifest = JSON.parse(text) as { version: string };
  return manifest.version;
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (error) {
  printError(error);
  process.exitCode = error instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE;
}

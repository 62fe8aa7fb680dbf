import { isVendastaAuthError } from '../errors.js';
import { UsageError } from './usage.js';

/** The command name used in messages and help. */
export const COMMAND = 'vendasta-auth';

/** Writes a line to stdout, the stream for the command's result. */
export function printResult(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Writes a message to stderr, prefixed with the command name. */
export function printMessage(message: string): void {
  process.stderr.write(`${COMMAND}: ${message}\n`);
}

/**
 * Prints an error to stderr: the message and, for library errors, the stable code.
 *
 * Library messages never contain a key, an assertion or a token, and the stack is left out
 * because users act on the message.
 */
export function printError(error: unknown): void {
  if (error instanceof UsageError) {
    const help = error.command === undefined ? `${COMMAND} --help` : `${COMMAND} ${error.command} --help`;
    printMessage(`${error.message}\nRun "${help}" for usage.`);
  } else if (isVendastaAuthError(error)) {
    printMessage(`${error.message} [${error.code}]`);
  } else {
    printMessage(error instanceof Error ? error.message : String(error));
  }
}

import { statSync } from 'node:fs';

import { CREDENTIALS_ENV, validateTokenUri } from '../credentials.js';
import { CredentialsError } from '../errors.js';
import { rejectExtraPositionals, UsageError } from './usage.js';

/** Credentials path and scopes taken from a command line. */
export interface AuthInputs {
  /** Path of the credentials file, from the arguments or the environment. */
  credentials: string;
  /** Scopes from positional arguments and `--scope`, each possibly space-separated. */
  scopes: string[];
}

/**
 * Finds the credentials file and the scopes in a command line.
 *
 * With `positionalScopes`, and without `--credentials`, the first positional argument is the
 * credentials file when it ends in `.json`, starts like a path (`./`, `../`, `/`) or names an
 * existing file, and every other positional argument is a scope. Without `positionalScopes`, the only positional argument allowed is the
 * credentials file. The file defaults to `VENDASTA_APPLICATION_CREDENTIALS`.
 */
export function resolveAuthInputs(
  command: string,
  positionals: string[],
  values: { credentials?: string | undefined; scope?: string[] | undefined },
  env: NodeJS.ProcessEnv,
  positionalScopes: boolean,
): AuthInputs {
  let credentials = values.credentials;
  let rest = positionals;
  const first = rest[0];
  if (credentials === undefined && first !== undefined && (!positionalScopes || looksLikeFile(first))) {
    credentials = first;
    rest = rest.slice(1);
  }
  if (!positionalScopes) rejectExtraPositionals(command, rest, 0);
  credentials ??= nonEmpty(env[CREDENTIALS_ENV]);

  if (credentials === undefined || credentials.trim() === '') {
    throw new UsageError(
      `No credentials file: pass it as the first argument or with --credentials, or set ${CREDENTIALS_ENV}.`,
      command,
    );
  }
  const scopes = [...rest, ...(values.scope ?? [])].flatMap((scope) => scope.split(/\s+/));
  return { credentials, scopes: scopes.filter((scope) => scope !== '') };
}

/** Checks a `--token-uri` value as the library would, and reports a bad one as a usage error. */
export function checkTokenUri(command: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    validateTokenUri(value, '--token-uri value');
    return value;
  } catch (error) {
    if (error instanceof CredentialsError) throw new UsageError(error.message, command);
    throw error;
  }
}

function looksLikeFile(argument: string): boolean {
  if (argument.toLowerCase().endsWith('.json')) return true;
  // A relative or absolute path is meant as a file even when it does not exist, so that a typo
  // reports "not found" instead of becoming a scope. URL scopes (https://...) stay scopes.
  if (/^(\.{1,2}[\\/]|[\\/]|~[\\/])/.test(argument)) return true;
  try {
    return statSync(argument).isFile();
  } catch {
    return false;
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

import { loadServiceAccount, validateTokenUri, type CredentialsInput, type ServiceAccount } from './credentials.js';
import type { Log } from './logger.js';
import { invalidOption } from './options.js';

/**
 * Loads the service account for one attached instance, again on demand: from the same input for
 * `reload()`, and from the same file when the token endpoint rejects the key.
 */
export class CredentialsLoader {
  #input: CredentialsInput | undefined;
  readonly #tokenUri: unknown;
  readonly #log: Log;

  constructor(input: CredentialsInput | undefined, tokenUri: unknown, log: Log) {
    this.#input = input;
    this.#tokenUri = tokenUri;
    this.#log = log;
  }

  /**
   * Loads and validates the credentials, from `input` when given (which then replaces the
   * original input), else from the original input again.
   *
   * @throws {CredentialsError} for missing or invalid credentials.
   */
  load(input: CredentialsInput | undefined = this.#input): ServiceAccount {
    const account = withTokenUri(loadServiceAccount(input), this.#tokenUri);
    this.#input = input;
    return account;
  }

  /**
   * Re-reads the credentials file, when they came from one, and returns the account only if its
   * key differs from `current`. Returns undefined for inline credentials, for an unchanged file,
   * and for a file that cannot be read or validated right now, such as one half-written.
   */
  reloadChangedFile(current: ServiceAccount): ServiceAccount | undefined {
    if (!this.#fromFile()) return undefined;
    let account: ServiceAccount;
    try {
      account = this.load();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      this.#log('warn', { source: current.source, code }, 'Could not re-read the credentials file; keeping the current key.');
      return undefined;
    }
    const changed = account.keyId !== current.keyId || account.keyFingerprint !== current.keyFingerprint;
    return changed ? account : undefined;
  }

  #fromFile(): boolean {
    const input = this.#input;
    return input === undefined || (typeof input === 'string' && !input.trimStart().startsWith('{'));
  }
}

function withTokenUri(account: ServiceAccount, tokenUri: unknown): ServiceAccount {
  if (tokenUri === undefined) return account;
  if (typeof tokenUri !== 'string') throw invalidOption('tokenUri', 'must be a URL string.', 'ERR_INVALID_ARG_TYPE');
  try {
    validateTokenUri(tokenUri, '`tokenUri` option');
  } catch (error) {
    throw invalidOption('tokenUri', (error as Error).message.replace(/^The `tokenUri` option /, ''));
  }
  return account.withTokenUri(tokenUri);
}

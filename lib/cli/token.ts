import { fetchToken, type FetchedToken } from './fetch-token.js';
import { checkTokenUri, resolveAuthInputs } from './inputs.js';
import { printResult } from './output.js';
import { choiceOption, EXIT_OK, parseCommandArgs, UsageError } from './usage.js';

const FORMATS = ['token', 'header', 'json'] as const;
type TokenFormat = (typeof FORMATS)[number];

const options = {
  credentials: { type: 'string', short: 'c' },
  scope: { type: 'string', short: 's', multiple: true },
  format: { type: 'string', short: 'f' },
  'token-uri': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Help text of `vendasta-auth token`. */
export const TOKEN_HELP = `Usage: vendasta-auth token [credentials.json] [scope ...] [options]

Prints an access token for a service account on stdout, and nothing else there.

Arguments:
  credentials.json       Service-account key file. Taken as the file when it ends in .json,
                         starts with ./, ../ or /, or exists; otherwise the file comes from
                         --credentials or VENDASTA_APPLICATION_CREDENTIALS.
  scope ...              Scopes of the token, also space-separated in one argument.

Options:
  -c, --credentials <file>  Service-account key file. Every positional argument is then a scope.
  -s, --scope <scope>       A scope of the token. Repeatable.
  -f, --format <format>     token (default): the token alone.
                            header: "Bearer <token>", for an Authorization header.
                            json: access_token, token_type, expires_at (ISO 8601),
                            expires_in (seconds), scopes and service_account.
      --token-uri <url>     Token endpoint instead of the file's token_uri. https, or http to
                            a loopback address.
  -h, --help                Shows this help.

Example:
  curl -H "Authorization: $(vendasta-auth token -f header key.json profile)" https://...`;

/** Runs `vendasta-auth token` and returns the exit status. */
export async function runToken(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parseCommandArgs('token', args, options);
  if (values.help === true) {
    printResult(TOKEN_HELP);
    return EXIT_OK;
  }

  const format = choiceOption('token', 'format', values.format, FORMATS, 'token');
  const tokenUri = checkTokenUri('token', values['token-uri']);
  const { credentials, scopes } = resolveAuthInputs('token', positionals, values, env, true);
  if (scopes.length === 0) {
    throw new UsageError('No scopes: name at least one, as an argument or with --scope.', 'token');
  }

  const token = await fetchToken({ credentials, scopes, tokenUri });
  printResult(formatToken(token, format));
  return EXIT_OK;
}

function formatToken(token: FetchedToken, format: TokenFormat): string {
  if (format === 'token') return token.accessToken;
  if (format === 'header') return `Bearer ${token.accessToken}`;

  return JSON.stringify({
    access_token: token.accessToken,
    token_type: 'Bearer',
    expires_at: new Date(token.expiresAt).toISOString(),
    expires_in: Math.max(0, Math.floor((token.expiresAt - Date.now()) / 1000)),
    scopes: token.scopes,
    service_account: token.serviceAccount,
  });
}

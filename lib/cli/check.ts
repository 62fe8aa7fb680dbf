import { createPublicKey } from 'node:crypto';

import { compactVerify } from 'jose';

import { signAssertion } from '../assertion.js';
import { loadServiceAccount, type ServiceAccount } from '../credentials.js';
import { fetchToken } from './fetch-token.js';
import { checkTokenUri, resolveAuthInputs } from './inputs.js';
import { printResult } from './output.js';
import { choiceOption, EXIT_OK, parseCommandArgs, UsageError } from './usage.js';

const FORMATS = ['text', 'json'] as const;

const options = {
  credentials: { type: 'string', short: 'c' },
  scope: { type: 'string', short: 's', multiple: true },
  online: { type: 'boolean' },
  format: { type: 'string', short: 'f' },
  'token-uri': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Help text of `vendasta-auth check`. */
export const CHECK_HELP = `Usage: vendasta-auth check [credentials.json] [options]

Validates a service-account key file without network access, prints a summary without secrets
(service account, key id, algorithm, key type and size, token URI, key fingerprint), and signs
and verifies a test assertion locally. With --online it also fetches an access token, and
prints its expiry but never the token.

Arguments:
  credentials.json       Service-account key file. Default: --credentials, then
                         VENDASTA_APPLICATION_CREDENTIALS.

Options:
  -c, --credentials <file>  Service-account key file.
      --online              Also fetch a token from the token endpoint. Needs --scope.
  -s, --scope <scope>       A scope for the test assertion and the --online token. Repeatable.
  -f, --format <format>     text (default) or json.
      --token-uri <url>     Token endpoint instead of the file's token_uri, for --online.
  -h, --help                Shows this help.`;

/** One line of the check report. */
interface ReportLine {
  key: string;
  label: string;
  value: string | number;
}

/** Runs `vendasta-auth check` and returns the exit status. */
export async function runCheck(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parseCommandArgs('check', args, options);
  if (values.help === true) {
    printResult(CHECK_HELP);
    return EXIT_OK;
  }

  const format = choiceOption('check', 'format', values.format, FORMATS, 'text');
  const tokenUri = checkTokenUri('check', values['token-uri']);
  const inputs = resolveAuthInputs('check', positionals, values, env, false);
  if (values.online === true && inputs.scopes.length === 0) {
    throw new UsageError('Option --online needs at least one --scope to request a token for.', 'check');
  }

  const account = loadServiceAccount(inputs.credentials);
  const report = describeAccount(account);
  report.push(await checkAssertion(account, inputs.scopes));
  if (values.online === true) {
    report.push(await checkOnline(inputs.credentials, inputs.scopes, tokenUri));
  }

  printResult(format === 'json' ? reportToJson(report) : reportToText(report));
  return EXIT_OK;
}

function describeAccount(account: ServiceAccount): ReportLine[] {
  return [
    { key: 'credentials', label: 'credentials', value: account.source },
    { key: 'serviceAccount', label: 'service account', value: account.clientEmail },
    { key: 'keyId', label: 'key id', value: account.keyId },
    { key: 'algorithm', label: 'algorithm', value: account.algorithm },
    { key: 'keyType', label: 'key type', value: describeKey(account) },
    { key: 'keyFingerprint', label: 'key fingerprint', value: `sha256:${account.keyFingerprint}` },
    { key: 'tokenUri', label: 'token URI', value: account.tokenUri },
  ];
}

function describeKey(account: ServiceAccount): string {
  const { asymmetricKeyType, asymmetricKeyDetails } = account.privateKey;
  if (asymmetricKeyType === 'rsa') return `RSA ${asymmetricKeyDetails?.modulusLength ?? '?'} bits`;
  // Node names the P-256 curve by its OpenSSL name, prime256v1.
  const curve = asymmetricKeyDetails?.namedCurve;
  return `EC ${curve === 'prime256v1' ? 'P-256' : (curve ?? '?')}`;
}

/** Signs an assertion with the private key and verifies it with the public key derived from it. */
async function checkAssertion(account: ServiceAccount, scopes: string[]): Promise<ReportLine> {
  const assertion = await signAssertion(account, {
    scopes: scopes.length > 0 ? scopes : ['check'],
    lifetimeSeconds: 60,
    nowMs: Date.now(),
  });
  const { protectedHeader } = await compactVerify(assertion, createPublicKey(account.privateKey), {
    algorithms: [account.algorithm],
  });
  return {
    key: 'assertion',
    label: 'test assertion',
    value: `signed and verified locally (${protectedHeader.alg}, kid ${protectedHeader.kid ?? '?'})`,
  };
}

async function checkOnline(
  credentials: string,
  scopes: string[],
  tokenUri: string | undefined,
): Promise<ReportLine> {
  const token = await fetchToken({ credentials, scopes, tokenUri });
  const expiresInSeconds = Math.max(0, Math.floor((token.expiresAt - Date.now()) / 1000));
  return {
    key: 'token',
    label: 'access token',
    value:
      `fetched from ${token.tokenUri} in ${token.durationMs} ms, ` +
      `expires in ${expiresInSeconds} s, scopes ${token.scopes.join(' ')}`,
  };
}

function reportToText(report: ReportLine[]): string {
  const width = Math.max(...report.map((line) => line.label.length)) + 2;
  return report.map((line) => `${line.label.padEnd(width)}${line.value}`).join('\n');
}

function reportToJson(report: ReportLine[]): string {
  return JSON.stringify(Object.fromEntries(report.map((line) => [line.key, line.value])));
}

import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Exit status of a command that succeeded. */
export const EXIT_OK = 0;
/** Exit status when authentication failed, or the command failed at run time. */
export const EXIT_FAILURE = 1;
/** Exit status when the command line is invalid. */
export const EXIT_USAGE = 2;

/** An invalid command line: an unknown option, a missing argument or a value out of range. */
export class UsageError extends Error {
  /** The subcommand whose help the message points to, or undefined for the top level. */
  readonly command: string | undefined;

  constructor(message: string, command?: string) {
    super(message);
    this.name = 'UsageError';
    this.command = command;
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** The result of `parseArgs` for strict parsing of `T` with positional arguments allowed. */
export type ParsedCommandArgs<T extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>
>;

/**
 * Parses the arguments of one subcommand with `node:util` `parseArgs` in strict mode, and turns
 * its errors into a `UsageError`.
 */
export function parseCommandArgs<T extends Options>(
  command: string,
  args: string[],
  options: T,
): ParsedCommandArgs<T> {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    if (isParseArgsError(error)) throw new UsageError(error.message, command);
    throw error;
  }
}

function isParseArgsError(error: unknown): error is Error {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof TypeError && typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

/** Returns the value of a `--name <choice>` option after checking it against `choices`. */
export function choiceOption<T extends string>(
  command: string,
  name: string,
  value: string | undefined,
  choices: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`Option --${name} must be one of ${choices.join(', ')}, not "${value}".`, command);
}

/** Returns the value of a whole-number option after checking it against `min` and `max`. */
export function integerOption(
  command: string,
  name: string,
  value: string | undefined,
  limits: { min: number; max: number; fallback: number },
): number {
  if (value === undefined) return limits.fallback;
  const number = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < limits.min || number > limits.max) {
    throw new UsageError(
      `Option --${name} must be a whole number from ${limits.min} to ${limits.max}, not "${value}".`,
      command,
    );
  }
  return number;
}

/** Throws a `UsageError` when a command got more positional arguments than it accepts. */
export function rejectExtraPositionals(command: string, positionals: string[], max: number): void {
  if (positionals.length <= max) return;
  const extra = positionals.slice(max).map((value) => `"${value}"`).join(', ');
  throw new UsageError(`Unexpected argument ${extra}.`, command);
}

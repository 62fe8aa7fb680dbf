/**
 * A pino-style logger: each method takes a context object and a message. Any subset of the
 * methods may be present. The plugin never passes it headers, bodies, keys or tokens.
 */
export interface Logger {
  debug?(context: Record<string, unknown>, message: string): void;
  info?(context: Record<string, unknown>, message: string): void;
  warn?(context: Record<string, unknown>, message: string): void;
  error?(context: Record<string, unknown>, message: string): void;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Writes one line through `logger`, if there is one. A logger that throws cannot break a request. */
export type Log = (level: LogLevel, context: Record<string, unknown>, message: string) => void;

export function createLog(logger: Logger | undefined): Log {
  if (logger === undefined) return () => {};
  return (level, context, message) => {
    try {
      logger[level]?.({ name: 'vendasta-axios-auth', ...context }, message);
    } catch {
      // A broken logger must not turn a working request into a failed one.
    }
  };
}

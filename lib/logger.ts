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

/** Lines that repeat within this window are counted instead of written. */
export const LOG_REPEAT_WINDOW_MS = 10_000;

/** Context fields that, with the level and message, tell one line from another for repeats. */
const REPEAT_KEY_FIELDS = ['code', 'scopes', 'operation', 'event'] as const;

/** Most distinct lines tracked for repeats; the table starts over beyond it. */
const MAX_TRACKED_LINES = 200;

/**
 * Creates the plugin's `Log`. A line that repeats (same level, message, `code`, `scopes`,
 * `operation` and `event`) within {@link LOG_REPEAT_WINDOW_MS} is dropped and counted, and the
 * next one written after the window carries that count as `suppressed`.
 */
export function createLog(logger: Logger | undefined, windowMs = LOG_REPEAT_WINDOW_MS): Log {
  if (logger === undefined) return () => {};
  const repeats = new Map<string, { until: number; suppressed: number }>();

  return (level, context, message) => {
    const key = [level, message, ...REPEAT_KEY_FIELDS.map((field) => String(context[field] ?? ''))].join('\n');
    const now = performance.now();
    const seen = repeats.get(key);
    if (seen !== undefined && now < seen.until) {
      seen.suppressed++;
      return;
    }
    if (repeats.size >= MAX_TRACKED_LINES) repeats.clear();
    repeats.set(key, { until: now + windowMs, suppressed: 0 });

    // A caller that counts its own repeats (the store guard does) gets both counts added.
    const suppressed = (seen?.suppressed ?? 0) + (typeof context.suppressed === 'number' ? context.suppressed : 0);
    const line = { name: 'vendasta-axios-auth', ...context, ...(suppressed > 0 ? { suppressed } : {}) };
    try {
      logger[level]?.(line, message);
    } catch {
      // A broken logger must not turn a working request into a failed one.
    }
  };
}

/**
 * Structured logs (pino, JSON lines): one root logger per server, with child
 * loggers that carry the meeting and connection they are about. Secrets never
 * go into logs: callers log ids, sizes, epochs and reasons, not payloads.
 */
import { type LevelWithSilent, type Logger, pino } from 'pino';

export type { Logger };

export interface LoggerOptions {
  /** Default `info`; `silent` in tests. */
  level?: LevelWithSilent;
  /** Where lines go; default stdout. */
  destination?: NodeJS.WritableStream;
}

/** The server's root logger. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'canopy' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination as Parameters<typeof pino>[1],
  );
}

import pino, { type Logger } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Structured JSON logs on stderr, so stdout stays free for CLI output (`--json`).
 * Credentials travel in these headers; redact them wherever a request object is logged.
 */
export function createLogger(name: string, level: LogLevel): Logger {
  return pino(
    {
      name,
      level,
      redact: {
        paths: ['req.headers.authorization', 'headers.authorization', 'password', 'token', 'secret'],
        censor: '[redacted]',
      },
    },
    pino.destination({ fd: 2, sync: false }),
  );
}

/** A logger that discards everything, for tests that do not inspect logs. */
export const silentLogger: Logger = pino({ level: 'silent' });

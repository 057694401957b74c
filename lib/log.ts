import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs on stderr, so stdout stays free for CLI output (`--json`).
 * Credentials travel in these headers; redact them wherever a request object is logged.
 */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
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

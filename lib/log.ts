import pino, { type Logger } from 'pino';
import pinoPretty from 'pino-pretty';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `auto`: readable lines when stderr is a terminal (`costgraph up`), JSON otherwise (production). */
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LoggerOptions {
  level: LogLevel;
  /** @default auto */
  format?: LogFormat;
  /** Where lines go. @default stderr, so stdout stays free for CLI output (`--json`) */
  destination?: NodeJS.WritableStream;
}

/** The format `auto` stands for, given whether the output is a terminal. */
export function resolveLogFormat(format: LogFormat, isTerminal: boolean): 'json' | 'pretty' {
  if (format !== 'auto') return format;
  return isTerminal ? 'pretty' : 'json';
}

/**
 * Structured logs: one JSON object per line for log collectors, or one readable line per
 * event for a person at a terminal. Redaction happens before either format is written.
 * Credentials travel in these headers; redact them wherever a request object is logged.
 */
export function createLogger(name: string, options: LoggerOptions): Logger {
  const destination = options.destination;
  const isTerminal = destination ? false : process.stderr.isTTY === true;
  const format = resolveLogFormat(options.format ?? 'auto', isTerminal);
  const stream =
    format === 'pretty'
      ? pinoPretty({
          destination: destination ?? 2,
          // Synchronous like a terminal; keeps lines in order with the CLI's own output.
          sync: true,
          colorize: isTerminal,
          singleLine: true,
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'pid,hostname',
        })
      : (destination ?? pino.destination({ fd: 2, sync: false }));
  return pino(
    {
      name,
      level: options.level,
      redact: {
        paths: ['req.headers.authorization', 'headers.authorization', 'password', 'token', 'secret'],
        censor: '[redacted]',
      },
    },
    stream,
  );
}

/** A logger that discards everything, for tests that do not inspect logs. */
export const silentLogger: Logger = pino({ level: 'silent' });

import path from 'node:path';
import { durationVar, enumVar, optionalStringVar, stringVar, urlVar } from './env';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from '../log';

type Env = Record<string, string | undefined>;

/** Settings every costgraph process shares: where data lives and how to reach the database. */
export interface CommonConfig {
  /** Embedded database and local Prometheus data. @default ./data */
  dataDir: string;
  /** PostgreSQL connection; unset means the embedded PGlite database under `dataDir`. */
  databaseUrl?: string;
  /** The ingest URL customers' Prometheus writes to, printed in onboarding snippets. */
  publicIngestUrl: string;
  /** @default info */
  logLevel: LogLevel;
  /** JSON lines, or readable lines; `auto` picks readable when stderr is a terminal. @default auto */
  logFormat: LogFormat;
  /**
   * A cluster whose last accepted write is older than this is reported stale, rather than
   * receiving, by the API and the CLI. @default 15m
   */
  ingestStaleAfterMs: number;
}

export function loadCommonConfig(env: Env = process.env): CommonConfig {
  return {
    dataDir: path.resolve(stringVar(env, 'DATA_DIR', './data')),
    databaseUrl: optionalStringVar(env, 'DATABASE_URL'),
    publicIngestUrl: urlVar(env, 'PUBLIC_INGEST_URL', 'http://127.0.0.1:4100/api/v1/write'),
    logLevel: enumVar(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    logFormat: enumVar(env, 'LOG_FORMAT', LOG_FORMATS, 'auto'),
    ingestStaleAfterMs: durationVar(env, 'INGEST_STALE_AFTER', 15 * 60_000, 1_000),
  };
}

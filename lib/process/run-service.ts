import { loadCommonConfig, type CommonConfig } from '../config/common';
import { createLogger, type Logger } from '../log';
import { runUntilSignal } from './signals';

/**
 * A service process's main: starts it with a logger at the configured level, runs until
 * SIGINT/SIGTERM, then stops it. A failure to start prints one line and exits 1.
 */
export function runService(name: string, start: (logger: Logger, common: CommonConfig) => Promise<() => Promise<void>>): void {
  const run = async () => {
    const common = loadCommonConfig();
    const logger = createLogger(name, { level: common.logLevel, format: common.logFormat });
    const stop = await start(logger, common);
    await runUntilSignal(logger, stop);
  };
  run().catch((error: unknown) => {
    process.stderr.write(`${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}

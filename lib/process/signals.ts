import type { Logger } from '../log';

/** Resolves after SIGINT/SIGTERM once `shutdown` finished; a second signal exits at once. */
export function runUntilSignal(logger: Logger, shutdown: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) process.exit(130);
      stopping = true;
      logger.info({ signal }, 'shutting down');
      shutdown()
        .catch((error: unknown) => logger.error({ err: error }, 'shutdown failed'))
        .finally(() => resolve());
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

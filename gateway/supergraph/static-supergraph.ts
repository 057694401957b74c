import fs from 'node:fs';
import type { SupergraphSdlHook } from '@apollo/gateway';
import type { Logger } from '../../lib/log';

/**
 * Serves the committed supergraph file to @apollo/gateway and swaps in a new one when the
 * file changes (`costgraph compose` writes it with a rename). The gateway keeps answering
 * with the old schema until the new one is valid; a broken file is logged and ignored.
 * Never introspects subgraphs at run time.
 */
export function staticSupergraph(file: string, logger: Logger, pollMs = 1000): SupergraphSdlHook {
  return async ({ update }) => {
    let current = fs.readFileSync(file, 'utf8');
    // watchFile polls by stat, which survives the rename that replaces the file (fs.watch may not).
    const onChange = () => {
      let next: string;
      try {
        next = fs.readFileSync(file, 'utf8');
      } catch (error) {
        logger.warn({ err: error, file }, 'supergraph file unreadable; keeping the current schema');
        return;
      }
      if (next === current || next.trim() === '') return;
      try {
        update(next);
        current = next;
        logger.info({ file }, 'supergraph reloaded');
      } catch (error) {
        logger.error({ err: error, file }, 'new supergraph rejected; keeping the current schema');
      }
    };
    fs.watchFile(file, { interval: pollMs }, onChange);
    return {
      supergraphSdl: current,
      cleanup: async () => fs.unwatchFile(file, onChange),
    };
  };
}

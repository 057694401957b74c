import type { Command } from 'commander';
import { createLogger } from '../../lib/log';
import { runUntilSignal } from '../../lib/process/signals';
import { loadCliConfig } from '../context';
import { startStack } from '../stack';

export function registerUpCommand(program: Command): void {
  program
    .command('up')
    .description('run the whole stack with embedded defaults until Ctrl-C')
    .action(async () => {
      const config = loadCliConfig({ always: true });
      const logger = createLogger('costgraph', { level: config.logLevel, format: config.logFormat });
      const stack = await startStack(logger);
      const lines = (urls: Record<string, string>) => Object.entries(urls).map(([name, url]) => `  ${name.padEnd(12)} ${url}\n`).join('');
      process.stdout.write(
        `costgraph is up:\n${lines(stack.endpoints)}` +
          `internal (/metrics, /readyz):\n${lines(stack.internal)}` +
          // The token rides in the fragment, which the browser never sends; the app stores and removes it.
          `Open the dashboard at ${new URL('/', stack.endpoints.graphiql).origin}/#token=${stack.demo.token}\n` +
          `Open GraphiQL at ${stack.endpoints.graphiql} and set the header\n` +
          `  Authorization: Bearer ${stack.demo.token}\n` +
          `(organization ${stack.demo.organizationId}; a new token is issued at every start)\nPress Ctrl-C to stop.\n`,
      );
      await runUntilSignal(logger, () => stack.stop());
    });
}

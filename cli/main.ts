import { Command, CommanderError } from 'commander';
import { ConfigError } from '../lib/config/env';
import { registerClusterCommands } from './commands/cluster';
import { registerImportCommands } from './commands/import';
import { registerOrgCommands } from './commands/org';
import { registerUpCommand } from './commands/up';
import { CliError } from './errors';

const program = new Command('costgraph')
  .description('Kubernetes costs beside cloud expenses')
  .showHelpAfterError(false)
  .exitOverride();

registerUpCommand(program);
registerOrgCommands(program);
registerClusterCommands(program);
registerImportCommands(program);

function fail(message: string): never {
  process.stderr.write(`costgraph: ${message.split('\n')[0]}\n`);
  process.exit(1);
}

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof CommanderError) {
    // Help and version are not failures; commander already printed its one-line reason otherwise.
    if (error.exitCode === 0) process.exit(0);
    process.exit(error.exitCode || 1);
  }
  if (error instanceof CliError || error instanceof ConfigError) fail(error.message);
  fail(error instanceof Error ? error.message : String(error));
});

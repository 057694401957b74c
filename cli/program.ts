import fs from 'node:fs';
import path from 'node:path';
import { Command, type HelpContext } from 'commander';
import { registerClusterCommands } from './commands/cluster';
import { registerComposeCommand } from './commands/compose';
import { registerDemoCommand } from './commands/demo';
import { registerImportCommands } from './commands/import';
import { registerOrgCommands } from './commands/org';
import { registerServeCommands } from './commands/serve';
import { registerTokenCommands } from './commands/token';
import { registerUpCommand } from './commands/up';
import { PACKAGE_ROOT } from './data-dir';
import { CliError } from './errors';

/*
 * The `costgraph` command line: its commands (cli/commands/), parsed by cli/main.ts.
 */

/**
 * Commander answers a missing subcommand (`costgraph cluster`) with the whole help text on
 * stderr; scripts and operators get the same one-line reason as for every other bad argument.
 */
class CliCommand extends Command {
  override createCommand(name?: string): Command {
    return new CliCommand(name);
  }

  override help(context?: HelpContext): never;
  /** @deprecated kept because commander declares it; costgraph never calls it. */
  override help(cb: (str: string) => string): never;
  override help(context?: HelpContext | ((str: string) => string)): never {
    if (typeof context === 'function') return super.help(context);
    if (context?.error) {
      const names = this.commands.map((command) => command.name()).filter((name) => name !== 'help');
      const where = this.parent ? `${this.name()}: ` : '';
      throw new CliError(`${where}missing command (one of ${names.join(', ')})`);
    }
    return super.help(context);
  }
}

/** One line per failure: commander's "error: " prefix and its "(Did you mean ...?)" line folded in. */
export function oneLine(message: string): string {
  return message
    .replace(/^error: /, '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .join(' ');
}

const { version } = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string };

/** Every command of `costgraph`, not parsed yet. */
export function buildProgram(): Command {
  const program = new CliCommand('costgraph')
    .description('Kubernetes costs beside cloud expenses')
    .version(version, '-V, --version', 'print the costgraph version')
    .showHelpAfterError(false)
    .configureOutput({ outputError: (message, write) => write(`costgraph: ${oneLine(message)}\n`) })
  .exitOverride();
  registerUpCommand(program);
  registerOrgCommands(program);
  registerClusterCommands(program);
  registerImportCommands(program);
  registerTokenCommands(program);
  registerComposeCommand(program);
  registerDemoCommand(program);
  registerServeCommands(program);
  return program;
}


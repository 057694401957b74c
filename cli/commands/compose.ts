import type { Command } from 'commander';
import { writeComposedSchemas } from '../../gateway/supergraph/compose';
import { CliError } from '../errors';

export function registerComposeCommand(program: Command): void {
  program
    .command('compose')
    .description('compose schema/supergraph.graphql and schema/api.graphql from the subgraph SDL files')
    .action(() => {
      let changed: string[];
      try {
        changed = writeComposedSchemas();
      } catch (error) {
        throw new CliError(error instanceof Error ? error.message : String(error));
      }
      process.stdout.write(changed.length ? `wrote ${changed.join(', ')}\n` : 'schema artifacts are up to date\n');
    });
}

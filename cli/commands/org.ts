import type { Command } from 'commander';
import { createOrganization } from '../../lib/accounts/repository';
import { print, withDatabase } from '../context';
import { CliError } from '../errors';

export function registerOrgCommands(program: Command): void {
  const org = program.command('org').description('manage organizations');
  org
    .command('create')
    .description('create an organization')
    .requiredOption('--name <name>', 'organization name')
    .option('--currency <code>', 'ISO 4217 currency of its expenses', 'USD')
    .option('--json', 'print JSON')
    .action(async (options: { name: string; currency: string; json?: boolean }) => {
      const name = options.name.trim();
      if (name.length === 0 || name.length > 200) throw new CliError('--name must be 1-200 characters');
      if (!/^[A-Z]{3}$/.test(options.currency)) throw new CliError('--currency must be a three-letter ISO 4217 code such as USD');
      const created = await withDatabase((db) => createOrganization(db, name, options.currency));
      print(!!options.json, { id: created.id, name: created.name, currency: created.currency }, `organization ${created.id} (${created.name})`);
    });
}

import type { Command } from 'commander';
import { isId } from '../../lib/accounts/ids';
import { FocusImportError, importFocusFile } from '../../subgraphs/expenses/import/import-focus';
import { print, withDatabase } from '../context';
import { CliError } from '../errors';

export function registerImportCommands(program: Command): void {
  const importCommand = program.command('import').description('import cloud expenses');
  importCommand
    .command('focus')
    .description('import a FOCUS 1.0 cost and usage export (CSV, gzip-compressed CSV or Parquet, told by its bytes); re-importing a file adds nothing')
    .argument('<file>', 'FOCUS export: .csv, .csv.gz or .parquet')
    .requiredOption('--org <id>', 'organization id')
    .option('--json', 'print JSON')
    .action(async (file: string, options: { org: string; json?: boolean }) => {
      if (!isId(options.org)) throw new CliError(`organization "${options.org}" is not a valid id`);
      const result = await withDatabase(async (db) => {
        try {
          return await importFocusFile(db, options.org, file);
        } catch (error) {
          if (error instanceof FocusImportError) {
            throw new CliError(error.line === null ? `${file}: ${error.reason}` : `${file}:${error.line}: ${error.reason}`);
          }
          throw error;
        }
      });
      const totals = Object.entries(result.totalsByProvider)
        .map(([provider, total]) => `${provider} ${total}`)
        .join(', ');
      print(
        !!options.json,
        {
          id: result.id,
          format: result.format,
          rows: result.rows,
          inserted: result.inserted,
          duplicates: result.duplicates,
          accountsCreated: result.accountsCreated,
          totalsByProvider: result.totalsByProvider,
        },
        `${file} (${result.format}): ${result.rows} rows, ${result.inserted} inserted, ${result.duplicates} already imported, ${result.accountsCreated} cloud accounts created` +
          (totals ? `\nbilled cost by provider: ${totals}` : ''),
      );
    });
}

import type { Queryable } from '../../../lib/db/database';

/** An import as listed (expense_imports, written by the importer in the import's transaction). */
export interface FocusImportRecord {
  id: string;
  fileName: string;
  format: 'csv' | 'csv.gz' | 'parquet';
  rows: number;
  inserted: number;
  duplicates: number;
  accountsCreated: number;
  totalsByProvider: Array<{ provider: string; billedCost: string }>;
  importedAt: Date;
  importedBy: string;
  apiTokenId: string | null;
}

/** Who an import without a token came from: the operator, on the server. */
export const CLI_IMPORTER = 'costgraph CLI';

/** The organization's imports, newest first. */
export async function listImports(db: Queryable, organizationId: string, first: number): Promise<FocusImportRecord[]> {
  const rows = await db.query<{
    id: string;
    file_name: string;
    format: FocusImportRecord['format'];
    row_count: string | number;
    inserted: string | number;
    duplicates: string | number;
    accounts_created: number;
    totals_by_provider: string | Record<string, string>;
    imported_at: Date;
    api_token_id: string | null;
    token_name: string | null;
  }>(
    `SELECT i.id, i.file_name, i.format, i.row_count, i.inserted, i.duplicates, i.accounts_created, i.totals_by_provider,
            i.imported_at, i.api_token_id, t.name AS token_name
       FROM expense_imports i LEFT JOIN api_tokens t ON t.id = i.api_token_id
      WHERE i.organization_id = $1
      ORDER BY i.imported_at DESC, i.id
      LIMIT $2`,
    [organizationId, first],
  );
  return rows.map((row) => {
    const totals = typeof row.totals_by_provider === 'string' ? (JSON.parse(row.totals_by_provider) as Record<string, string>) : row.totals_by_provider;
    return {
      id: row.id,
      fileName: row.file_name,
      format: row.format,
      rows: Number(row.row_count),
      inserted: Number(row.inserted),
      duplicates: Number(row.duplicates),
      accountsCreated: row.accounts_created,
      totalsByProvider: Object.entries(totals).map(([provider, billedCost]) => ({ provider, billedCost })),
      importedAt: new Date(row.imported_at),
      importedBy: row.api_token_id === null ? CLI_IMPORTER : (row.token_name ?? 'a deleted token'),
      apiTokenId: row.api_token_id,
    };
  });
}

-- One row per FOCUS file imported (from the CLI or over HTTP), written in the import's own
-- transaction: the `imports` list shows what was loaded, when and by whom. A refused file
-- leaves no row, as it leaves no expenses.
CREATE TABLE expense_imports (
  id                  uuid PRIMARY KEY,
  organization_id     uuid NOT NULL REFERENCES organizations (id),
  -- As the client named it (a path's last part from the CLI), at most 255 characters.
  file_name           text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
  format              text NOT NULL CHECK (format IN ('csv', 'csv.gz', 'parquet')),
  row_count           bigint NOT NULL,
  inserted            bigint NOT NULL,
  duplicates          bigint NOT NULL,
  accounts_created    integer NOT NULL,
  -- {"<ProviderName>": "<exact sum of BilledCost>"}, as the import reports it.
  totals_by_provider  jsonb NOT NULL,
  -- The API token that sent it; null from the CLI (the operator on the server).
  api_token_id        uuid REFERENCES api_tokens (id),
  imported_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX expense_imports_by_org ON expense_imports (organization_id, imported_at DESC);

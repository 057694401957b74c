-- What bill rows can be matched with on the Kubernetes side (lib/reconciliation/bill-links.ts),
-- summed per resource or cluster and charge period by the importer in the import's transaction,
-- like expense_daily_totals: reconciling a cluster with the bill reads these groups, never the
-- expense rows.
CREATE TABLE expense_bill_links (
  organization_id      uuid NOT NULL,
  cloud_account_id     uuid NOT NULL,
  -- resource | management | load-balancer | cluster (see bill-links.ts).
  kind                 text NOT NULL CHECK (kind IN ('resource', 'management', 'load-balancer', 'cluster')),
  -- provider:kind:id of the machine, scale set or disk charged ('' when the rows name none).
  resource_key         text NOT NULL,
  -- provider:cluster:name of the cluster the rows name ('' when none).
  cluster_key          text NOT NULL,
  charge_period_start  timestamptz NOT NULL,
  charge_period_end    timestamptz NOT NULL,
  billed_cost          numeric NOT NULL,
  effective_cost       numeric NOT NULL,
  row_count            bigint NOT NULL CHECK (row_count > 0),
  UNIQUE (organization_id, resource_key, cluster_key, kind, charge_period_start, charge_period_end, cloud_account_id)
);
CREATE INDEX expense_bill_links_by_cluster ON expense_bill_links (organization_id, cluster_key, charge_period_start) WHERE cluster_key <> '';

-- Moves whenever an organization's links change (an import, the backfill below): what readers
-- that keep matches in memory compare.
CREATE TABLE expense_bill_link_versions (
  organization_id  uuid PRIMARY KEY,
  version          bigint NOT NULL
);

-- Organizations whose expenses were imported before the links existed: their links are built
-- from the rows imported before this migration when they are first needed
-- (lib/reconciliation/bill-link-backfill.ts); imports from now on keep them.
CREATE TABLE expense_bill_links_pending (
  organization_id  uuid PRIMARY KEY,
  imported_before  timestamptz NOT NULL
);
INSERT INTO expense_bill_links_pending (organization_id, imported_before) SELECT DISTINCT organization_id, now() FROM expenses;

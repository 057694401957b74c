-- Daily totals of expenses per cloud account and service, kept by the importer in the same
-- transaction as the rows they sum. The dashboard's overview (total, count, breakdown by
-- service, day, account or service category over weeks) then reads a few tens of thousands of
-- groups instead of every expense row of the window.
--
-- The grain is deliberately coarse: region and resource type would multiply the groups
-- several times over, and every group is an upsert during import. Questions about those dimensions, tags or resource
-- ids keep reading `expenses` through its covering index.
-- No import may commit between the backfill below and the end of this migration, or its rows
-- would be missing from the totals: writers wait until the migration commits.
LOCK TABLE expenses IN SHARE MODE;

CREATE TABLE expense_daily_totals (
  organization_id   uuid NOT NULL,
  cloud_account_id  uuid NOT NULL,
  -- The UTC day of ChargePeriodStart.
  day               date NOT NULL,
  provider          text NOT NULL,
  service_name      text,
  service_category  text,
  billed_cost       numeric NOT NULL,
  effective_cost    numeric NOT NULL,
  list_cost         numeric NOT NULL,
  row_count         bigint NOT NULL CHECK (row_count > 0)
);
-- NULLS NOT DISTINCT: rows without a service or category are one group, as in GROUP BY.
CREATE UNIQUE INDEX expense_daily_totals_key ON expense_daily_totals
  (organization_id, day, cloud_account_id, provider, service_name, service_category) NULLS NOT DISTINCT;

INSERT INTO expense_daily_totals
  (organization_id, cloud_account_id, day, provider, service_name, service_category, billed_cost, effective_cost, list_cost, row_count)
SELECT organization_id, cloud_account_id, (charge_period_start AT TIME ZONE 'UTC')::date, provider, service_name, service_category,
       sum(billed_cost), sum(effective_cost), sum(list_cost), count(*)
  FROM expenses
 GROUP BY 1, 2, 3, 4, 5, 6;

-- Import cost: every index is maintained row by row. These three only served filters that the
-- covering index expenses_by_org_start_covering (003) now answers by index-only scans, and the
-- account one no query used first; together they were a large share of the database's work per
-- imported row (docs/benchmarks/expenses.md, "Indexes").
DROP INDEX expenses_by_account_start;
DROP INDEX expenses_by_org_service_start;
DROP INDEX expenses_by_org_region_start;

-- The foreign key to the account is checked by a trigger per imported row, a fifth of the
-- database's work per row once the indexes above are gone. It guarded nothing the schema
-- does not already rule out: the importer is the only writer of expenses and of the daily
-- totals, it uses accounts of the organization that it found or created in the same
-- transaction, and accounts are never deleted (only soft-deleted, which the key ignored
-- anyway). Every read joins the live account, so a row without one could not count.
ALTER TABLE expenses DROP CONSTRAINT expenses_cloud_account_fkey;

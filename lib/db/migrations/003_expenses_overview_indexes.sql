-- The dashboard's overview of an organization (total, count, breakdowns, first page by cost)
-- reads a window of weeks: hundreds of thousands of rows that FOCUS files deliver in no
-- particular order, so through expenses_by_org_start they sat on nearly every heap page and
-- each statement became a bitmap heap scan of the whole table.
-- This index carries every column those statements read besides tags and resource ids, so
-- they become index-only scans over one contiguous key range. It supersedes
-- expenses_by_org_start, which has the same key.
CREATE INDEX expenses_by_org_start_covering ON expenses (organization_id, charge_period_start)
  INCLUDE (cloud_account_id, billed_cost, effective_cost, list_cost, provider, service_name, service_category,
           region_id, region_name, resource_type);
DROP INDEX expenses_by_org_start;

-- The first page in the default order (BilledCost, most expensive first; ties by id) walks this
-- index from the top and stops after a page of rows in the range, instead of sorting the window.
CREATE INDEX expenses_by_org_billed_cost ON expenses (organization_id, billed_cost DESC, id DESC);

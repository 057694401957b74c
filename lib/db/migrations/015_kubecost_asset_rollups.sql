-- Each closed hour's cost per asset of a cluster (nodes, persistent volumes, load balancers):
-- what matching a cluster with the cloud bill reads.
--
-- An asset is named once per cluster (kubecost_assets, with the cloud provider's id for the
-- machine or disk and the resource key the bill is matched on); an hour holds its assets' ids
-- and costs as parallel arrays, one row per cluster-hour. A row per asset-hour would be some
-- 17 rows for every hour row and repeat each name and id, hour after hour.
CREATE TABLE kubecost_assets (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  cloud_account_id  uuid NOT NULL REFERENCES cloud_accounts (id) ON DELETE CASCADE,
  kind              text NOT NULL CHECK (kind IN ('node', 'volume', 'load-balancer')),
  -- A node's or volume's name; a load balancer's namespace/service/ingress IP.
  name              text NOT NULL,
  -- The provider_id label as the cluster wrote it ('' when it had none).
  provider_id       text NOT NULL DEFAULT '',
  -- lib/reconciliation's key of the resource the provider id names (provider:kind:id), when it names one.
  resource_key      text,
  -- The first and last hour any of its costs were rolled up for (hours thrown away since
  -- included): which assets a range holds, without reading its hours.
  first_hour        timestamptz,
  last_hour         timestamptz,
  UNIQUE (cloud_account_id, kind, name, provider_id)
);
CREATE INDEX kubecost_assets_resource_key ON kubecost_assets (resource_key) WHERE resource_key IS NOT NULL;

-- Thrown away with the hour it belongs to (late samples, a deleted cluster).
CREATE TABLE kubecost_hourly_asset_costs (
  cloud_account_id  uuid NOT NULL,
  hour_start        timestamptz NOT NULL,
  asset_ids         bigint[] NOT NULL,
  -- A node's money per resource; a volume's or load balancer's money is in cost alone.
  cpu               double precision[] NOT NULL,
  ram               double precision[] NOT NULL,
  gpu               double precision[] NOT NULL,
  cost              double precision[] NOT NULL,
  PRIMARY KEY (cloud_account_id, hour_start),
  FOREIGN KEY (cloud_account_id, hour_start) REFERENCES kubecost_hourly_costs (cloud_account_id, hour_start) ON DELETE CASCADE
);

-- Hours rolled up before have no assets: they are computed again when next needed.
DELETE FROM kubecost_hourly_costs;

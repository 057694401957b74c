-- Each closed hour's cost per asset of a cluster: nodes (by name, with the cloud provider's id
-- for the machine), persistent volumes and load balancers. Kept, computed and thrown away
-- together with the cluster's hour in kubecost_hourly_costs; what matching a cluster's assets
-- with the cloud bill reads.
CREATE TABLE kubecost_hourly_asset_costs (
  cloud_account_id  uuid NOT NULL REFERENCES cloud_accounts (id) ON DELETE CASCADE,
  hour_start        timestamptz NOT NULL,
  kind              text NOT NULL CHECK (kind IN ('node', 'volume', 'load-balancer')),
  -- A node's or volume's name; a load balancer's namespace/service/ingress IP.
  name              text NOT NULL,
  provider_id       text,
  cpu               double precision NOT NULL,
  ram               double precision NOT NULL,
  gpu               double precision NOT NULL,
  cost              double precision NOT NULL,
  PRIMARY KEY (cloud_account_id, hour_start, kind, name)
);

-- Hours rolled up before have no assets: they are computed again when next needed.
DELETE FROM kubecost_hourly_costs;

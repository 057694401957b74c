-- Closed parts of a cluster's allocation (a UTC hour or a UTC day): what each pod was allocated
-- on each node, its volumes, requests, usage and egress, its namespace's load balancers, and
-- the owners and labels kube-state-metrics reported, as allocation/part-inputs.ts writes them.
-- A range's allocation is the sum of its parts, so a rolling window reads these instead of
-- asking the metrics store for every hour again. Parts are integrated point by point at the
-- resolution of the range that asked for them (which depends on its length only), so a part
-- is kept per resolution: the parts of a range add up to exactly what one query over the
-- range would return.
CREATE TABLE kubecost_allocation_parts (
  cloud_account_id    uuid NOT NULL REFERENCES cloud_accounts (id) ON DELETE CASCADE,
  resolution_seconds  integer NOT NULL,
  part_start          timestamptz NOT NULL,
  part_end            timestamptz NOT NULL CHECK (part_end > part_start),
  inputs              jsonb NOT NULL,
  computed_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (cloud_account_id, resolution_seconds, part_start, part_end)
);

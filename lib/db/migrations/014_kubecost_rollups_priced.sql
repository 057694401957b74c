-- Rolled-up hours now hold money: each hour's samples priced at the scrape interval measured
-- within that hour, and the hour's network cost (egress counters' growth × price; NULL when
-- the cluster sent no egress counters). Rows stored before hold unpriced samples and no
-- network: they are dropped, and recomputed from the metrics store when next needed.
DELETE FROM kubecost_hourly_costs;
ALTER TABLE kubecost_hourly_costs
  ADD COLUMN network double precision,
  ADD COLUMN interval_seconds integer,
  -- Something was charged but no interval could be measured: priced at the default interval.
  ADD COLUMN interval_assumed boolean NOT NULL DEFAULT false;

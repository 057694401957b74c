-- Each closed UTC hour of a cluster's cost, computed once from the metrics store so that long
-- ranges sum rows instead of re-reading every sample. Asset costs are kept per sample
-- (price × quantity × samples): the scrape interval that turns samples into hours is measured
-- for each queried range.
CREATE TABLE kubecost_hourly_costs (
  cloud_account_id    uuid NOT NULL REFERENCES cloud_accounts (id) ON DELETE CASCADE,
  hour_start          timestamptz NOT NULL,
  cpu                 double precision NOT NULL,
  ram                 double precision NOT NULL,
  gpu                 double precision NOT NULL,
  persistent_volumes  double precision NOT NULL,
  load_balancers      double precision NOT NULL,
  cluster_management  double precision NOT NULL,
  -- Objects left out for a NaN or infinite input, per category (absent when none).
  non_finite          jsonb,
  capacity_missing    integer NOT NULL,
  last_sample_at      timestamptz,
  samples             double precision NOT NULL,
  computed_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (cloud_account_id, hour_start)
);

-- Per cluster: from which hour on its rollups are stale (ingest received samples for a closed
-- hour), and a generation that moves whenever rollups are thrown away, so a computation that
-- started before can tell its rows are stale and not store them.
CREATE TABLE kubecost_rollup_state (
  cloud_account_id  uuid PRIMARY KEY REFERENCES cloud_accounts (id) ON DELETE CASCADE,
  stale_from        timestamptz,
  generation        bigint NOT NULL DEFAULT 0
);

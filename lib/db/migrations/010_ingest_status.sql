-- What ingest last saw of each cluster, so "is my cluster sending?" has an answer without
-- querying the metrics store. Ingest replicas write here together, each merging its own
-- batch: timestamps only move forward (GREATEST), counts only add up.
CREATE TABLE ingest_status (
  cloud_account_id  uuid PRIMARY KEY REFERENCES cloud_accounts (id) ON DELETE CASCADE,
  -- Newest sample timestamp accepted (the sender's clock, not ours).
  last_sample_at    timestamptz,
  -- When ingest last accepted a write from the cluster (our clock).
  last_received_at  timestamptz,
  last_error        text,
  last_error_at     timestamptz
);

-- Samples per cluster, minute and outcome ('accepted' or a drop reason), so the last hour can
-- be summed whatever the replicas' flush times were. Rows older than that are pruned by the
-- writers themselves.
CREATE TABLE ingest_sample_counts (
  cloud_account_id  uuid NOT NULL REFERENCES cloud_accounts (id) ON DELETE CASCADE,
  minute            timestamptz NOT NULL,
  outcome           text NOT NULL,
  samples           bigint NOT NULL,
  PRIMARY KEY (cloud_account_id, minute, outcome)
);

-- Which cluster a bill row belongs to, in SQL: each expense keeps what bill-links.ts reads from
-- its ResourceId and Tags (NULL when nothing), and each cluster the names the bill knows it by.
ALTER TABLE expenses
  ADD COLUMN bill_resource_key text,
  ADD COLUMN bill_cluster_key text;

-- provider:cluster:name keys of a cluster's own resource: learned from its metrics
-- (kubecost_cluster_info), or set on the cluster's account when they cannot be learned.
CREATE TABLE kubernetes_cluster_keys (
  cloud_account_id  uuid NOT NULL REFERENCES cloud_accounts (id) ON DELETE CASCADE,
  cluster_key       text NOT NULL,
  source            text NOT NULL CHECK (source IN ('learned', 'set')),
  PRIMARY KEY (cloud_account_id, cluster_key)
);
CREATE INDEX kubernetes_cluster_keys_by_key ON kubernetes_cluster_keys (cluster_key);

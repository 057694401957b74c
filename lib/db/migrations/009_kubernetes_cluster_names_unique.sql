-- A cluster's name is how people tell clusters apart (and its cluster_id label), so the live
-- Kubernetes clusters of an organization have distinct names. Names differing only in case or
-- surrounding spaces count as the same: "prod" and "Prod " would be told apart by nobody.

-- Existing duplicates first: the oldest keeps its name, each later one gets the first free
-- " (n)" suffix from its rank on, cut to fit the 200-character limit. Creation never produces
-- spaces or parentheses, so a suffixed name cannot take a name someone will ask for.
DO $$
DECLARE
  dup record;
  n integer;
  suffix text;
  candidate text;
BEGIN
  FOR dup IN
    SELECT id, organization_id, name, rank FROM (
      SELECT id, organization_id, name,
             row_number() OVER (PARTITION BY organization_id, lower(btrim(name)) ORDER BY created_at, id) AS rank
        FROM cloud_accounts
       WHERE type = 'kubernetes' AND deleted_at IS NULL
    ) ranked
     WHERE rank > 1
     ORDER BY organization_id, lower(btrim(name)), rank
  LOOP
    n := dup.rank;
    LOOP
      suffix := ' (' || n || ')';
      candidate := left(btrim(dup.name), 200 - length(suffix)) || suffix;
      EXIT WHEN NOT EXISTS (
        SELECT 1 FROM cloud_accounts
         WHERE organization_id = dup.organization_id AND type = 'kubernetes' AND deleted_at IS NULL
           AND lower(btrim(name)) = lower(candidate)
      );
      n := n + 1;
    END LOOP;
    UPDATE cloud_accounts SET name = candidate WHERE id = dup.id;
  END LOOP;
END
$$;

-- Two creates racing for a name: one commits, the other fails on this index.
CREATE UNIQUE INDEX cloud_accounts_cluster_name_key ON cloud_accounts (organization_id, lower(btrim(name)))
  WHERE type = 'kubernetes' AND deleted_at IS NULL;

-- Cloud expenses in FOCUS 1.0 terms (FinOps Open Cost and Usage Specification), and the
-- API tokens the GraphQL gateway authenticates organizations with.

-- Lets expenses reference (account, organization) together, so the denormalised
-- organization_id of an expense can never disagree with its account's organization.
ALTER TABLE cloud_accounts ADD CONSTRAINT cloud_accounts_id_organization_key UNIQUE (id, organization_id);

CREATE TABLE expenses (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Denormalised from the account for fast scoping; the composite key below keeps it honest.
  organization_id      uuid NOT NULL,
  cloud_account_id     uuid NOT NULL,
  -- FOCUS ChargePeriodStart (inclusive) and ChargePeriodEnd (exclusive), UTC.
  charge_period_start  timestamptz NOT NULL,
  charge_period_end    timestamptz NOT NULL,
  -- Exact decimals as the provider wrote them (no scale limit: exports carry 10+ decimals).
  billed_cost          numeric NOT NULL,
  effective_cost       numeric NOT NULL,
  list_cost            numeric NOT NULL,
  billing_currency     text NOT NULL,
  -- FOCUS ProviderName / PublisherName as written in the file ('AWS', 'Microsoft', ...).
  provider             text NOT NULL,
  publisher            text,
  service_name         text,
  service_category     text,
  region_id            text,
  region_name          text,
  availability_zone    text,
  resource_id          text,
  resource_name        text,
  resource_type        text,
  charge_category      text,
  charge_description   text,
  sku_id               text,
  tags                 jsonb,
  -- sha256 of the raw CSV record and its occurrence number in its file: re-importing a
  -- file adds nothing, yet identical rows within one file are all kept.
  row_hash             text NOT NULL,
  imported_at          timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT expenses_cloud_account_fkey FOREIGN KEY (cloud_account_id, organization_id)
    REFERENCES cloud_accounts (id, organization_id),
  CONSTRAINT expenses_charge_period_check CHECK (charge_period_end >= charge_period_start),
  CONSTRAINT expenses_tags_object_check CHECK (tags IS NULL OR jsonb_typeof(tags) = 'object')
);
CREATE UNIQUE INDEX expenses_row_hash_key ON expenses (organization_id, row_hash);
CREATE INDEX expenses_by_org_start ON expenses (organization_id, charge_period_start);
CREATE INDEX expenses_by_account_start ON expenses (cloud_account_id, charge_period_start);
-- Filters and breakdowns by service and by region within an organization's date range.
CREATE INDEX expenses_by_org_service_start ON expenses (organization_id, service_name, charge_period_start);
CREATE INDEX expenses_by_org_region_start ON expenses (organization_id, region_id, charge_period_start);

-- Tokens read `cg_<lookup_id>_<secret>`: the lookup id finds the row, the secret is checked
-- against the scrypt hash (lib/accounts/secret-hash.ts). Only the hash is stored.
CREATE TABLE api_tokens (
  id               uuid PRIMARY KEY,
  organization_id  uuid NOT NULL REFERENCES organizations (id),
  lookup_id        text NOT NULL CHECK (lookup_id ~ '^[A-Za-z0-9-]{1,64}$'),
  token_hash       text NOT NULL CHECK (token_hash LIKE 'scrypt$%'),
  name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  created_at       timestamptz NOT NULL DEFAULT now(),
  revoked_at       timestamptz
);
CREATE UNIQUE INDEX api_tokens_lookup_key ON api_tokens (lookup_id);
CREATE INDEX api_tokens_by_org ON api_tokens (organization_id) WHERE revoked_at IS NULL;

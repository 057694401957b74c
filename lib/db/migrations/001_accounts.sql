-- Organizations, their cloud accounts, and the credentials Kubernetes clusters remote-write with.
CREATE TABLE organizations (
  id          uuid PRIMARY KEY,
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  currency    text NOT NULL DEFAULT 'USD',
  created_at  timestamptz NOT NULL DEFAULT now(),
  deleted_at  timestamptz
);

CREATE TABLE cloud_accounts (
  id                   uuid PRIMARY KEY,
  organization_id      uuid NOT NULL REFERENCES organizations (id),
  name                 text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  type                 text NOT NULL CHECK (type IN ('aws', 'azure', 'gcp', 'alibaba', 'oracle', 'kubernetes')),
  -- The provider's own id for the account (AWS account, Azure subscription, GCP project...).
  provider_account_id  text,
  created_at           timestamptz NOT NULL DEFAULT now(),
  deleted_at           timestamptz
);
CREATE INDEX cloud_accounts_by_org ON cloud_accounts (organization_id, type) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX cloud_accounts_provider_key ON cloud_accounts (organization_id, type, provider_account_id)
  WHERE deleted_at IS NULL AND provider_account_id IS NOT NULL;

-- Only a slow hash of the cluster's password is stored; the password is shown once at creation.
CREATE TABLE cluster_credentials (
  cloud_account_id  uuid PRIMARY KEY REFERENCES cloud_accounts (id),
  secret_hash       text NOT NULL,
  rotated_at        timestamptz NOT NULL DEFAULT now()
);

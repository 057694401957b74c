-- Revocations reach every replica within a second: each rotated or deleted credential is
-- written to a change log that ingest and the gateway read every second (INGEST_REVOCATION_POLL,
-- TOKEN_REVOCATION_POLL). Triggers write it, so every path (CLI, API, SQL by hand) is covered.
--
-- Revisions are numbered from one row, updated under its row lock: a second writer waits until
-- the first commits, so revisions become visible in order and without gaps, and a reader that
-- sees revision n has seen every revision before it. A gap (rows pruned before a replica read
-- them) therefore means changes were missed, and the reader forgets everything it cached.
CREATE TABLE credential_revision (
  singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  revision   bigint NOT NULL
);
INSERT INTO credential_revision (revision) VALUES (0);

CREATE TABLE credential_changes (
  revision    bigint PRIMARY KEY,
  -- 'api_token' (revoked or deleted), 'cloud_account' (credential rotated, account deleted),
  -- 'organization' (deleted).
  kind        text NOT NULL,
  subject_id  uuid NOT NULL,
  changed_at  timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION record_credential_change(change_kind text, subject uuid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  next_revision bigint;
BEGIN
  UPDATE credential_revision SET revision = revision + 1 RETURNING revision INTO next_revision;
  INSERT INTO credential_changes (revision, kind, subject_id) VALUES (next_revision, change_kind, subject);
  -- Readers poll every second; ten thousand changes are hours of revocations.
  DELETE FROM credential_changes WHERE revision <= next_revision - 10000;
END;
$$;

CREATE FUNCTION api_tokens_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM record_credential_change('api_token', OLD.id);
  -- Any change, not only revoked_at: whatever a token may do (its organization, a role) is
  -- part of the cached verdict.
  ELSIF ROW(OLD.*) IS DISTINCT FROM ROW(NEW.*) THEN
    PERFORM record_credential_change('api_token', NEW.id);
  END IF;
  RETURN NULL;
END;
$$;
CREATE TRIGGER api_tokens_changed AFTER UPDATE OR DELETE ON api_tokens
  FOR EACH ROW EXECUTE FUNCTION api_tokens_changed();

CREATE FUNCTION cluster_credentials_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM record_credential_change('cloud_account', OLD.cloud_account_id);
  ELSIF OLD.secret_hash IS DISTINCT FROM NEW.secret_hash THEN
    PERFORM record_credential_change('cloud_account', NEW.cloud_account_id);
  END IF;
  RETURN NULL;
END;
$$;
CREATE TRIGGER cluster_credentials_changed AFTER UPDATE OR DELETE ON cluster_credentials
  FOR EACH ROW EXECUTE FUNCTION cluster_credentials_changed();

CREATE FUNCTION cloud_accounts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM record_credential_change('cloud_account', OLD.id);
  ELSIF OLD.deleted_at IS DISTINCT FROM NEW.deleted_at OR OLD.type IS DISTINCT FROM NEW.type THEN
    PERFORM record_credential_change('cloud_account', NEW.id);
  END IF;
  RETURN NULL;
END;
$$;
CREATE TRIGGER cloud_accounts_changed AFTER UPDATE OR DELETE ON cloud_accounts
  FOR EACH ROW EXECUTE FUNCTION cloud_accounts_changed();

CREATE FUNCTION organizations_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM record_credential_change('organization', OLD.id);
  ELSIF OLD.deleted_at IS DISTINCT FROM NEW.deleted_at THEN
    PERFORM record_credential_change('organization', NEW.id);
  END IF;
  RETURN NULL;
END;
$$;
CREATE TRIGGER organizations_changed AFTER UPDATE OR DELETE ON organizations
  FOR EACH ROW EXECUTE FUNCTION organizations_changed();

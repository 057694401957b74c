import crypto from 'node:crypto';
import type { Queryable } from '../db/database';
import { isId } from './ids';
import type { CloudAccount, CloudAccountType, Organization } from './types';

interface OrganizationRow {
  id: string;
  name: string;
  currency: string;
  created_at: Date;
}

interface CloudAccountRow {
  id: string;
  organization_id: string;
  name: string;
  type: CloudAccountType;
  provider_account_id: string | null;
  created_at: Date;
  deleted_at: Date | null;
}

const toOrganization = (row: OrganizationRow): Organization => ({
  id: row.id,
  name: row.name,
  currency: row.currency,
  createdAt: row.created_at,
});

const toCloudAccount = (row: CloudAccountRow): CloudAccount => ({
  id: row.id,
  organizationId: row.organization_id,
  name: row.name,
  type: row.type,
  providerAccountId: row.provider_account_id,
  createdAt: row.created_at,
  deletedAt: row.deleted_at,
});

const ACCOUNT_COLUMNS = 'id, organization_id, name, type, provider_account_id, created_at, deleted_at';

export async function createOrganization(db: Queryable, name: string, currency = 'USD'): Promise<Organization> {
  const [row] = await db.query<OrganizationRow>(
    'INSERT INTO organizations (id, name, currency) VALUES ($1, $2, $3) RETURNING id, name, currency, created_at',
    [crypto.randomUUID(), name, currency],
  );
  return toOrganization(row);
}

export async function findOrganizations(db: Queryable, ids: readonly string[]): Promise<Organization[]> {
  const valid = ids.filter(isId);
  if (valid.length === 0) return [];
  const rows = await db.query<OrganizationRow>(
    'SELECT id, name, currency, created_at FROM organizations WHERE id = ANY($1::uuid[]) AND deleted_at IS NULL ORDER BY name, id',
    [valid],
  );
  return rows.map(toOrganization);
}

export async function findOrganization(db: Queryable, id: string): Promise<Organization | undefined> {
  return (await findOrganizations(db, [id]))[0];
}

export async function createCloudAccount(
  db: Queryable,
  input: { organizationId: string; name: string; type: CloudAccountType; providerAccountId?: string | null },
): Promise<CloudAccount> {
  const [row] = await db.query<CloudAccountRow>(
    `INSERT INTO cloud_accounts (id, organization_id, name, type, provider_account_id) VALUES ($1, $2, $3, $4, $5) RETURNING ${ACCOUNT_COLUMNS}`,
    [crypto.randomUUID(), input.organizationId, input.name, input.type, input.providerAccountId ?? null],
  );
  return toCloudAccount(row);
}

/** Live (not deleted) accounts by id; ids that are malformed or unknown are simply absent. */
export async function findCloudAccounts(db: Queryable, ids: readonly string[]): Promise<CloudAccount[]> {
  const valid = ids.filter(isId);
  if (valid.length === 0) return [];
  const rows = await db.query<CloudAccountRow>(
    `SELECT ${ACCOUNT_COLUMNS} FROM cloud_accounts WHERE id = ANY($1::uuid[]) AND deleted_at IS NULL`,
    [valid],
  );
  return rows.map(toCloudAccount);
}

export async function findCloudAccount(db: Queryable, id: string): Promise<CloudAccount | undefined> {
  return (await findCloudAccounts(db, [id]))[0];
}

export async function listCloudAccounts(db: Queryable, organizationIds: readonly string[], type?: CloudAccountType): Promise<CloudAccount[]> {
  const valid = organizationIds.filter(isId);
  if (valid.length === 0) return [];
  const rows = await db.query<CloudAccountRow>(
    `SELECT ${ACCOUNT_COLUMNS} FROM cloud_accounts
      WHERE organization_id = ANY($1::uuid[]) AND deleted_at IS NULL AND ($2::text IS NULL OR type = $2)
      ORDER BY created_at, id`,
    [valid, type ?? null],
  );
  return rows.map(toCloudAccount);
}

/**
 * Soft delete: the row stays for history, but nothing live (ingest, queries) sees it again.
 * What was derived from the account's data (hourly cost and allocation rollups) goes with it.
 */
export async function softDeleteCloudAccount(db: Queryable, id: string): Promise<boolean> {
  if (!isId(id)) return false;
  const rows = await db.query(
    `WITH gone AS (UPDATE cloud_accounts SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING id),
          hours AS (DELETE FROM kubecost_hourly_costs WHERE cloud_account_id IN (SELECT id FROM gone)),
          parts AS (DELETE FROM kubecost_allocation_parts WHERE cloud_account_id IN (SELECT id FROM gone)),
          assets AS (DELETE FROM kubecost_assets WHERE cloud_account_id IN (SELECT id FROM gone)),
          state AS (DELETE FROM kubecost_rollup_state WHERE cloud_account_id IN (SELECT id FROM gone))
     SELECT id FROM gone`,
    [id],
  );
  return rows.length > 0;
}

import type { Database } from '../db/database';
import { issueClusterCredential } from './cluster-credentials';
import { createCloudAccount, findCloudAccount, findOrganization, softDeleteCloudAccount } from './repository';
import type { CloudAccount } from './types';
import { kubecostHelmValuesYaml, prometheusRemoteWriteYaml } from './onboarding-snippets';
import { ErrorCode } from '../graphql/errors';
import { AccountError } from './errors';
import { clusterKey } from '../reconciliation/bill-links';

/** What a customer needs to connect a cluster; `password` exists only in this object. */
export interface ClusterConnection {
  cloudAccount: CloudAccount;
  username: string;
  password: string;
  remoteWriteUrl: string;
  prometheusRemoteWrite: string;
  kubecostHelmValues: string;
}

/** Connecting, rotating or deleting a cluster was refused. */
export class OnboardingError extends AccountError {}

/** The organization already has a live cluster of that name (compared ignoring case and surrounding spaces). */
export class ClusterNameTakenError extends OnboardingError {
  constructor(organizationId: string, holder: string) {
    super(ErrorCode.BAD_USER_INPUT, `organization ${organizationId} already has a cluster named "${holder}"`);
  }
}

/** An id as it appears in an error: cut and escaped, since a caller can send any string (10 KB, newlines). */
function quoted(id: string): string {
  return JSON.stringify(id.slice(0, 100)).slice(1, -1);
}

function connection(cloudAccount: CloudAccount, password: string, remoteWriteUrl: string): ClusterConnection {
  const target = { url: remoteWriteUrl, username: cloudAccount.id, password, clusterName: cloudAccount.name };
  return {
    cloudAccount,
    username: cloudAccount.id,
    password,
    remoteWriteUrl,
    prometheusRemoteWrite: prometheusRemoteWriteYaml(target),
    kubecostHelmValues: kubecostHelmValuesYaml(target),
  };
}

export function validateClusterName(name: string): string {
  const trimmed = name.trim();
  // The name becomes the cluster_id external label: keep it to what a label value can hold safely.
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(trimmed)) {
    throw new OnboardingError('BAD_USER_INPUT', 'cluster name must be 1-100 characters of letters, digits, ".", "_" or "-", starting with a letter or digit');
  }
  return trimmed;
}

/** The unique index over the live clusters' names of an organization, compared as `lower(btrim(name))`. */
const CLUSTER_NAME_KEY = 'cloud_accounts_cluster_name_key';

function isClusterNameTaken(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, constraint, message } = error as { code?: unknown; constraint?: unknown; message?: unknown };
  // Both drivers report the index as `constraint`; the message names it as well, should a proxy drop the field.
  return code === '23505' && (constraint === CLUSTER_NAME_KEY || (typeof message === 'string' && message.includes(`"${CLUSTER_NAME_KEY}"`)));
}

export interface CreateClusterOptions {
  /** An id the caller keeps to find this cluster again whatever it is renamed to (the demo's marker). */
  providerAccountId?: string;
}

/**
 * Names are unique among the organization's live clusters, ignoring case and surrounding
 * spaces. The database decides (a unique index), so of two creates racing for a name exactly one
 * succeeds; the other gets the same refusal as a create after it.
 */
export async function createKubernetesCluster(
  db: Database,
  organizationId: string,
  name: string,
  remoteWriteUrl: string,
  options: CreateClusterOptions = {},
): Promise<ClusterConnection> {
  const clusterName = validateClusterName(name);
  try {
    return await db.transaction(async (tx) => {
      if (!(await findOrganization(tx, organizationId))) throw new OnboardingError('NOT_FOUND', `organization ${quoted(organizationId)} not found`);
      const account = await createCloudAccount(tx, { organizationId, name: clusterName, type: 'kubernetes', providerAccountId: options.providerAccountId });
      const password = await issueClusterCredential(tx, account.id);
      return connection(account, password, remoteWriteUrl);
    });
  } catch (error) {
    if (!isClusterNameTaken(error)) throw error;
    // Name the cluster that holds it, which may be spelled in another case.
    const [holder] = await db.query<{ name: string }>(
      `SELECT name FROM cloud_accounts WHERE organization_id = $1 AND type = 'kubernetes' AND deleted_at IS NULL AND lower(btrim(name)) = lower($2)`,
      [organizationId, clusterName],
    );
    throw new ClusterNameTakenError(organizationId, holder?.name ?? clusterName);
  }
}

async function findCluster(db: Database, cloudAccountId: string, organizationIds?: readonly string[]): Promise<CloudAccount> {
  const account = await findCloudAccount(db, cloudAccountId);
  if (!account || account.type !== 'kubernetes' || (organizationIds && !organizationIds.includes(account.organizationId))) {
    throw new OnboardingError('NOT_FOUND', `Kubernetes cloud account ${quoted(cloudAccountId)} not found`);
  }
  return account;
}

/** `organizationIds` scopes the lookup to the caller's organizations (API); the CLI is the operator and passes none. */
export async function rotateClusterCredential(
  db: Database,
  cloudAccountId: string,
  remoteWriteUrl: string,
  organizationIds?: readonly string[],
): Promise<ClusterConnection> {
  const account = await findCluster(db, cloudAccountId, organizationIds);
  const password = await issueClusterCredential(db, account.id);
  return connection(account, password, remoteWriteUrl);
}

/** Soft-deletes a Kubernetes cloud account; any other account is not found (the CLI's `cluster delete`). */
export async function deleteCluster(db: Database, cloudAccountId: string): Promise<CloudAccount> {
  const account = await findCluster(db, cloudAccountId);
  await softDeleteCloudAccount(db, account.id);
  return account;
}

export async function deleteCloudAccount(db: Database, cloudAccountId: string, organizationIds?: readonly string[]): Promise<CloudAccount> {
  const account = await findCloudAccount(db, cloudAccountId);
  if (!account || (organizationIds && !organizationIds.includes(account.organizationId))) {
    throw new OnboardingError('NOT_FOUND', `cloud account ${quoted(cloudAccountId)} not found`);
  }
  await softDeleteCloudAccount(db, account.id);
  return account;
}

const BILLING_PROVIDERS = ['aws', 'azure', 'gcp', 'oracle'] as const;

/**
 * Names the cluster as the cloud bill does (its provider and managed cluster name, e.g. aws and
 * the EKS cluster's name), for when its metrics do not tell (kubecost_cluster_info): what
 * matches the cluster's control-plane fee and the resources tagged with it. null clears it, and
 * the names learned from the metrics count again.
 */
export async function setClusterBillingName(
  db: Database,
  cloudAccountId: string,
  billing: { provider: string; name: string } | null,
  organizationIds?: readonly string[],
): Promise<CloudAccount> {
  const account = await findCloudAccount(db, cloudAccountId);
  if (!account || account.type !== 'kubernetes' || (organizationIds && !organizationIds.includes(account.organizationId))) {
    throw new OnboardingError(ErrorCode.NOT_FOUND, `no Kubernetes cluster ${quoted(cloudAccountId)}`);
  }
  let key: string | null = null;
  if (billing) {
    const provider = billing.provider.trim().toLowerCase();
    if (!(BILLING_PROVIDERS as readonly string[]).includes(provider)) throw new OnboardingError(ErrorCode.BAD_USER_INPUT, `provider must be one of ${BILLING_PROVIDERS.join(', ')}`);
    const name = billing.name.trim();
    if (name === '' || name.length > 200) throw new OnboardingError(ErrorCode.BAD_USER_INPUT, 'the cluster name must have 1 to 200 characters');
    key = clusterKey(provider as (typeof BILLING_PROVIDERS)[number], name);
  }
  await db.transaction(async (tx) => {
    await tx.query(`DELETE FROM kubernetes_cluster_keys WHERE cloud_account_id = $1 AND source = 'set'`, [cloudAccountId]);
    if (key) {
      await tx.query(
        `INSERT INTO kubernetes_cluster_keys (cloud_account_id, cluster_key, source) VALUES ($1, $2, 'set')
         ON CONFLICT (cloud_account_id, cluster_key) DO UPDATE SET source = 'set'`,
        [cloudAccountId, key],
      );
    }
  });
  return account;
}

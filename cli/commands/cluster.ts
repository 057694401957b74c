import type { Command } from 'commander';
import { isId } from '../../lib/accounts/ids';
import { createKubernetesCluster, deleteCluster, OnboardingError, rotateClusterCredential, setClusterBillingName, type ClusterConnection } from '../../lib/accounts/kubernetes-clusters';
import { loadIngestStatuses, sendingState, type IngestStatus } from '../../lib/accounts/ingest-status';
import { findCloudAccount, findOrganization, listCloudAccounts } from '../../lib/accounts/repository';
import type { CloudAccount } from '../../lib/accounts/types';
import { print, withDatabase } from '../context';
import { CliError } from '../errors';

function connectionJson(connection: ClusterConnection) {
  return {
    cloudAccountId: connection.cloudAccount.id,
    username: connection.username,
    password: connection.password,
    remoteWriteUrl: connection.remoteWriteUrl,
    prometheusRemoteWrite: connection.prometheusRemoteWrite,
    kubecostHelmValues: connection.kubecostHelmValues,
  };
}

function connectionText(connection: ClusterConnection): string {
  return [
    `Kubernetes cloud account ${connection.cloudAccount.id} (${connection.cloudAccount.name})`,
    `remote write URL: ${connection.remoteWriteUrl}`,
    `username: ${connection.username}`,
    `password: ${connection.password}   (shown once: store it now)`,
    '',
    '# Prometheus remote_write block:',
    connection.prometheusRemoteWrite,
    '# Kubecost Helm values (cost-analyzer chart):',
    connection.kubecostHelmValues,
  ].join('\n');
}

function requireId(value: string, what: string): string {
  if (!isId(value)) throw new CliError(`${what} "${value}" is not a valid id`);
  return value;
}

async function onboarding<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof OnboardingError) throw new CliError(error.message);
    throw error;
  }
}

function statusJson(account: CloudAccount, status: IngestStatus, staleAfterMs: number) {
  return {
    name: account.name,
    cloudAccountId: account.id,
    state: sendingState(status, Date.now(), staleAfterMs),
    lastReceivedAt: status.lastReceivedAt?.toISOString() ?? null,
    lastSampleAt: status.lastSampleAt?.toISOString() ?? null,
    acceptedSamplesLastHour: status.acceptedSamplesLastHour,
    droppedSamplesLastHour: status.droppedSamplesLastHour,
    lastError: status.lastError ? { message: status.lastError.message, at: status.lastError.at.toISOString() } : null,
  };
}

function listText(rows: ReturnType<typeof statusJson>[]): string {
  if (rows.length === 0) return 'no clusters';
  const table = [['NAME', 'ID', 'STATUS', 'LAST SAMPLE'], ...rows.map((r) => [r.name, r.cloudAccountId, r.state, r.lastSampleAt ?? '-'])];
  const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
  return table.map((row) => row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ')).join('\n');
}

function statusText(row: ReturnType<typeof statusJson>): string {
  const dropped = row.droppedSamplesLastHour.map((d) => `${d.count} ${d.reason}`).join(', ');
  return [
    `${row.name} (${row.cloudAccountId}): ${row.state}`,
    `last write accepted: ${row.lastReceivedAt ?? 'never'}`,
    `newest sample:       ${row.lastSampleAt ?? 'none'}`,
    `last hour:           ${row.acceptedSamplesLastHour} samples accepted, ${dropped || 'none dropped'}`,
    `last refusal:        ${row.lastError ? `${row.lastError.at} ${row.lastError.message}` : 'none'}`,
  ].join('\n');
}

export function registerClusterCommands(program: Command): void {
  const cluster = program.command('cluster').description('connect Kubernetes clusters');
  cluster
    .command('create')
    .description('create a Kubernetes cloud account and its remote-write credential')
    .requiredOption('--org <id>', 'organization id')
    .requiredOption('--name <name>', 'cluster name (becomes its cluster_id label)')
    .option('--json', 'print JSON')
    .action(async (options: { org: string; name: string; json?: boolean }) => {
      const org = requireId(options.org, 'organization');
      const connection = await withDatabase((db, config) => onboarding(() => createKubernetesCluster(db, org, options.name, config.publicIngestUrl)));
      print(!!options.json, connectionJson(connection), connectionText(connection));
    });
  cluster
    .command('list')
    .description('the organization\'s clusters and whether each is sending (receiving, stale, never)')
    .requiredOption('--org <id>', 'organization id')
    .option('--json', 'print JSON')
    .action(async (options: { org: string; json?: boolean }) => {
      const org = requireId(options.org, 'organization');
      const rows = await withDatabase(async (db, config) => {
        if (!(await findOrganization(db, org))) throw new CliError(`organization ${org} not found`);
        const clusters = await listCloudAccounts(db, [org], 'kubernetes');
        const statuses = await loadIngestStatuses(db, clusters.map((c) => c.id));
        return clusters.map((c) => statusJson(c, statuses.get(c.id)!, config.ingestStaleAfterMs));
      });
      print(!!options.json, { clusters: rows }, listText(rows));
    });
  cluster
    .command('status')
    .description('what ingest recorded of one cluster: last write, newest sample, last hour\'s samples, last refusal')
    .argument('<cloudAccountId>', 'the cluster\'s cloud account id')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      requireId(id, 'cloud account');
      const row = await withDatabase(async (db, config) => {
        const account = await findCloudAccount(db, id);
        if (!account || account.type !== 'kubernetes') throw new CliError(`Kubernetes cluster ${id} not found`);
        const statuses = await loadIngestStatuses(db, [id]);
        return statusJson(account, statuses.get(id)!, config.ingestStaleAfterMs);
      });
      print(!!options.json, row, statusText(row));
    });
  cluster
    .command('rotate-credential')
    .description('issue a new password; the old one stops working within a minute')
    .argument('<cloudAccountId>', 'the cluster\'s cloud account id')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      requireId(id, 'cloud account');
      const connection = await withDatabase((db, config) => onboarding(() => rotateClusterCredential(db, id, config.publicIngestUrl)));
      print(!!options.json, connectionJson(connection), connectionText(connection));
    });
  cluster
    .command('set-billing-name')
    .description('name the cluster as the cloud bill does (provider and EKS/AKS/GKE cluster name), when its metrics do not tell')
    .argument('<cloudAccountId>', 'the cluster\'s cloud account id')
    .option('--provider <provider>', 'aws, azure, gcp or oracle')
    .option('--name <name>', 'the managed cluster\'s name in the provider\'s console')
    .option('--clear', 'forget the name set; the one learned from the metrics counts again')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { provider?: string; name?: string; clear?: boolean; json?: boolean }) => {
      requireId(id, 'cloud account');
      if (options.clear ? options.provider !== undefined || options.name !== undefined : options.provider === undefined || options.name === undefined) {
        throw new CliError('give --provider and --name, or --clear');
      }
      const billing = options.clear ? null : { provider: options.provider!, name: options.name! };
      await withDatabase((db) => onboarding(() => setClusterBillingName(db, id, billing)));
      print(!!options.json, { cloudAccountId: id, billing }, billing ? `cluster ${id} is ${billing.provider} cluster "${billing.name}" on the bill` : `cluster ${id}: billing name cleared`);
    });
  cluster
    .command('delete')
    .description('soft-delete the cluster: ingest stops accepting it, its costs stop counting')
    .argument('<cloudAccountId>', 'the cluster\'s cloud account id')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      requireId(id, 'cloud account');
      const account = await withDatabase((db) => onboarding(() => deleteCluster(db, id)));
      print(!!options.json, { cloudAccountId: account.id, deleted: true }, `deleted cloud account ${account.id}`);
    });
}

import type { Command } from 'commander';
import { isId } from '../../lib/accounts/ids';
import { createKubernetesCluster, deleteCluster, OnboardingError, rotateClusterCredential, type ClusterConnection } from '../../lib/accounts/kubernetes-clusters';
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

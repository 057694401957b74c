import crypto from 'node:crypto';
import { createKubernetesCluster } from '../../lib/accounts/kubernetes-clusters';
import type { Database } from '../../lib/db/database';
import { basicAuth, type SyntheticCluster } from '../../cli/demo/synthetic-cluster';
import { fleetHistory } from './kubecost-fleet';

/*
 * What the fleet-sized benchmarks (bench:fleet, bench:allocation) share: the services'
 * environment, and an organization's clusters with their history.
 */

const MINUTE = 60_000;
const DAY = 86_400_000;

/** The environment of the services' child processes, against a scratch database and a local Prometheus. */
export function fleetEnv(databaseUrl: string, dataDir: string, prometheusUrl: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir,
    INTERNAL_AUTH_SECRET: crypto.randomBytes(32).toString('hex'),
    THANOS_QUERY_URL: prometheusUrl,
    THANOS_RECEIVE_URL: `${prometheusUrl}/api/v1/write`,
    LOG_LEVEL: 'warn',
    // A cold range over hundreds of clusters takes more than the default 15 s and 20 s on 2 shared cores.
    KUBECOST_QUERY_TIMEOUT: '900s',
    SUBGRAPH_TIMEOUT: '900s',
    // The backfill sends a cluster's month in minutes: far above a live cluster's rate.
    INGEST_SAMPLES_PER_SECOND: '100000000',
  };
}

export interface FleetMember {
  id: string;
  /** History at 5-minute scrapes up to a day ago. */
  coarse: SyntheticCluster;
  /** The last day at 1-minute scrapes. */
  fine: SyntheticCluster;
  headers: Record<string, string>;
}

/**
 * `n` clusters of `organizationId`, each with its own credential and `days` of history (plus
 * `marginMs` before it) up to `nowMs`; `shape` may add to each cluster (e.g. its workloads).
 */
export async function createFleet(
  db: Database,
  organizationId: string,
  n: number,
  ingestUrl: string,
  { days, nowMs, marginMs, shape = (c) => c }: { days: number; nowMs: number; marginMs: number; shape?: (cluster: SyntheticCluster) => SyntheticCluster },
): Promise<FleetMember[]> {
  const startMs = Math.floor((nowMs - days * DAY - marginMs) / (5 * MINUTE)) * 5 * MINUTE;
  const cutMs = Math.floor((nowMs - DAY) / (5 * MINUTE)) * 5 * MINUTE;
  const fleet: FleetMember[] = [];
  for (let i = 0; i < n; i++) {
    const created = await createKubernetesCluster(db, organizationId, `cluster-${i}`, ingestUrl);
    const id = created.cloudAccount.id;
    const { coarse, fine } = fleetHistory(id, i, startMs, cutMs, nowMs);
    fleet.push({ id, coarse: shape(coarse), fine: shape(fine), headers: { Authorization: basicAuth(created.username, created.password) } });
  }
  return fleet;
}

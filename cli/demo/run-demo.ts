import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listCloudAccounts } from '../../lib/accounts/repository';
import type { Database } from '../../lib/db/database';
import { importFocusFile, type ImportResult } from '../../subgraphs/expenses/import/import-focus';
import { ClusterNameTakenError, createKubernetesCluster, rotateClusterCredential, type ClusterConnection } from '../../lib/accounts/kubernetes-clusters';
import type { CloudAccount } from '../../lib/accounts/types';
import { demoBillCsv } from './demo-bill';
import { DEMO_CLUSTERS, demoWorkloads, type DemoCluster } from './demo-clusters';
import { daysBetween, shiftFocusDates } from './focus-dates';
import { localOrganization } from '../local/local-organization';
import { FOCUS_SAMPLE_CSV } from './fixtures';
import { basicAuth, writeClusters } from './synthetic-cluster';

const DAY_MS = 86_400_000;
const FIVE_MINUTES_MS = 300_000;
export const DEMO_FOCUS_FILE = FOCUS_SAMPLE_CSV;
/** The fixture's billing month ends here; it is moved to end at 00:00 UTC of the first demo run's day. */
const FOCUS_FIXTURE_END = new Date('2024-10-01T00:00:00Z');

export interface DemoOptions {
  db: Database;
  /** The ingest worker's base URL (its /api/v1/write receives the metrics). */
  ingestUrl: string;
  /** Printed in the clusters' onboarding snippets. */
  publicIngestUrl: string;
  now?: number;
}

export interface DemoResult {
  organizationId: string;
  clusters: Array<{ id: string; name: string; samples: number }>;
  expenses: ImportResult;
  /** The clusters' own bill (demo-bill.ts): what the reconciliation matches. */
  clustersBill: ImportResult;
  /** A range covering all of it, for the headline query. */
  range: { from: string; to: string };
}

/**
 * The demo's own clusters carry this as their provider account id: unlike the name, nobody
 * changes it, so renaming a demo cluster or naming another cluster like it confuses nothing.
 */
const demoMarker = (demo: DemoCluster) => `costgraph-demo:${demo.name}`;

/** The demo cluster's connection with a new credential, created when the demo has none live. */
async function demoConnection(db: Database, organizationId: string, demo: DemoCluster, existing: readonly CloudAccount[], publicIngestUrl: string): Promise<ClusterConnection> {
  const found = existing.find((account) => account.providerAccountId === demoMarker(demo));
  if (found) return rotateClusterCredential(db, found.id, publicIngestUrl, [organizationId]);
  // Someone's own cluster may hold the name: the first free one of name, name-2, name-3...
  for (let n = 1; ; n++) {
    try {
      return await createKubernetesCluster(db, organizationId, n === 1 ? demo.name : `${demo.name}-${n}`, publicIngestUrl, { providerAccountId: demoMarker(demo) });
    } catch (error) {
      if (!(error instanceof ClusterNameTakenError)) throw error;
    }
  }
}

/**
 * Fills the local organization through the real paths: three clusters onboarded like a
 * customer's, their last 14 days of Kubecost metrics remote-written through the ingest worker
 * with each cluster's own credential, and the FOCUS fixture imported as the 30 days before the
 * first run. Running it again reuses the clusters it created (found by their marker, with new
 * credentials), adds no expense twice, and writes each sample with the value it had.
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { db } = options;
  const now = options.now ?? Date.now();
  const organizationId = await localOrganization(db);
  const existing = await listCloudAccounts(db, [organizationId], 'kubernetes');
  // Through the current five-minute slot: the newest scrape is at most five minutes old, so
  // "as of now" views (unclaimed volumes, freshness) see the clusters as live.
  const slotEnd = (ms: number) => Math.floor(ms / FIVE_MINUTES_MS) * FIVE_MINUTES_MS + FIVE_MINUTES_MS;
  const endMs = slotEnd(now);
  const connections: ClusterConnection[] = [];
  for (const demo of DEMO_CLUSTERS) connections.push(await demoConnection(db, organizationId, demo, existing, options.publicIngestUrl));
  // Everything that must come out the same on a later run hangs on the first run, which
  // created the oldest cluster: the clusters' events and counter origins (the store refuses
  // another value at a series' newest timestamp) and the billing month's days (other days
  // would be other rows, imported twice).
  const firstRunMs = Math.min(...connections.map((c) => c.cloudAccount.createdAt.getTime()));
  const clusters = DEMO_CLUSTERS.map((demo, i) => {
    const cluster = demo.build({ tenantId: connections[i].cloudAccount.id, endMs, anchorMs: slotEnd(firstRunMs) });
    return { ...cluster, workloads: demoWorkloads(cluster.containers ?? []) };
  });
  const samples = await writeClusters(
    options.ingestUrl,
    clusters.map((cluster, i) => ({ cluster, headers: { Authorization: basicAuth(connections[i].username, connections[i].password) } })),
    { live: true },
  );

  const expensesEnd = new Date(Math.floor(firstRunMs / DAY_MS) * DAY_MS);
  const shifted = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-demo-')), 'focus.csv');
  try {
    fs.writeFileSync(shifted, shiftFocusDates(fs.readFileSync(DEMO_FOCUS_FILE, 'utf8'), daysBetween(FOCUS_FIXTURE_END, expensesEnd)));
    const expenses = await importFocusFile(db, organizationId, shifted);
    // The clusters' own bill for the whole days of the first run's history: the reconciliation
    // then shows what the bill covers, and the days since stay estimated (bills arrive late).
    const bill = path.join(path.dirname(shifted), 'clusters-bill.csv');
    const byName = new Map(DEMO_CLUSTERS.map((demo, i) => [demo.name, clusters[i]]));
    fs.writeFileSync(bill, demoBillCsv(byName, expensesEnd.getTime() - 13 * DAY_MS, expensesEnd.getTime()));
    const clustersBill = await importFocusFile(db, organizationId, bill);
    const to = new Date(Math.floor(now / DAY_MS) * DAY_MS + DAY_MS);
    return {
      organizationId,
      clusters: connections.map((c, i) => ({ id: c.cloudAccount.id, name: c.cloudAccount.name, samples: samples[i] })),
      expenses,
      clustersBill,
      range: { from: new Date(to.getTime() - 31 * DAY_MS).toISOString(), to: to.toISOString() },
    };
  } finally {
    fs.rmSync(path.dirname(shifted), { recursive: true, force: true });
  }
}

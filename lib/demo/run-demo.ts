import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listCloudAccounts } from '../accounts/repository';
import type { Database } from '../db/database';
import { importFocusFile, type ImportResult } from '../expenses/import-focus';
import { createKubernetesCluster, rotateClusterCredential, type ClusterConnection } from '../onboarding/clusters';
import { DEMO_CLUSTERS } from './demo-clusters';
import { daysBetween, shiftFocusDates } from './focus-dates';
import { localOrganization } from './local-organization';
import { clusterSeriesSlice, writeSeries } from './synthetic-cluster';

const DAY_MS = 86_400_000;
const FIVE_MINUTES_MS = 300_000;
export const DEMO_FOCUS_FILE = path.join(__dirname, '..', '..', 'test', 'fixtures', 'focus', 'focus-1.0-sample.csv');
/** The fixture's billing month ends here; it is moved so that it ends today at 00:00 UTC. */
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
  /** A range covering all of it, for the headline query. */
  range: { from: string; to: string };
}

/**
 * Fills the local organization through the real paths: three clusters onboarded like a
 * customer's, their last 14 days of Kubecost metrics remote-written through the ingest worker
 * with each cluster's own credential, and the FOCUS fixture imported as the last 30 days of
 * cloud expenses. Running it again reuses the clusters (new credentials) and adds nothing twice.
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
  const clusters: DemoResult['clusters'] = [];
  for (const demo of DEMO_CLUSTERS) {
    const found = existing.find((a) => a.name === demo.name);
    const connection: ClusterConnection = found
      ? await rotateClusterCredential(db, found.id, options.publicIngestUrl, [organizationId])
      : await createKubernetesCluster(db, organizationId, demo.name, options.publicIngestUrl);
    // A rerun rewrites history the store already holds; the store refuses a different value at
    // a series' newest timestamp, so the history hangs on the first run (the account's
    // creation), and the clusters are still running: no stale marker ends their series.
    const cluster = demo.build({ tenantId: connection.cloudAccount.id, endMs, anchorMs: slotEnd(connection.cloudAccount.createdAt.getTime()) });
    const series = clusterSeriesSlice(cluster, cluster.startMs, cluster.endMs);
    const auth = `Basic ${Buffer.from(`${connection.username}:${connection.password}`).toString('base64')}`;
    const written = await writeSeries(options.ingestUrl, series, { headers: { Authorization: auth }, concurrency: 2, maxSamplesPerRequest: 10_000 });
    clusters.push({ id: connection.cloudAccount.id, name: demo.name, samples: written.samples });
  }

  const today = new Date(Math.floor(now / DAY_MS) * DAY_MS);
  const shifted = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-demo-')), 'focus.csv');
  try {
    fs.writeFileSync(shifted, shiftFocusDates(fs.readFileSync(DEMO_FOCUS_FILE, 'utf8'), daysBetween(FOCUS_FIXTURE_END, today)));
    const expenses = await importFocusFile(db, organizationId, shifted);
    const to = new Date(today.getTime() + DAY_MS);
    return { organizationId, clusters, expenses, range: { from: new Date(to.getTime() - 31 * DAY_MS).toISOString(), to: to.toISOString() } };
  } finally {
    fs.rmSync(path.dirname(shifted), { recursive: true, force: true });
  }
}

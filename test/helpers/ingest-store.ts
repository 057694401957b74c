import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadIngestConfig } from '../../ingest/config';
import { startIngest, type RunningIngest } from '../../ingest/start';
import { startLocalPrometheus, type LocalPrometheus } from '../../cli/local/local-prometheus';
import type { Database } from '../../lib/db/database';
import { silentLogger } from '../../lib/log';
import type { ExporterProcess } from './exporter-process';
import { instantQuery, waitFor } from './promql';
import { startScrapingAgent } from './scraping-agent';

/**
 * A local Prometheus as the store and an in-process ingest worker forwarding to it, in a
 * temporary directory: the setup the ingest integration and reliability tests share.
 */
export interface IngestStore {
  dir: string;
  /** Replaced by restartStore(); read it after a restart, not before. */
  store: LocalPrometheus;
  ingest: RunningIngest;
  /**
   * Starts a real Prometheus agent scraping `exporter` and remote-writing to the worker as
   * `credential`, and resolves once `firstSamples` (a PromQL selector) has data in the store.
   * close() stops the agent and closes the exporter.
   */
  startAgent(options: {
    exporter: ExporterProcess;
    credential: { username: string; password: string };
    firstSamples: string;
    headers?: Record<string, string>;
    maxBackoff?: string;
  }): Promise<LocalPrometheus>;
  /** Starts the store again on its port and data directory, after `store.stop()`. */
  restartStore(): Promise<LocalPrometheus>;
  close(): Promise<void>;
}

export async function startIngestStore(db: Database, options: { prefix: string; env?: Record<string, string> }): Promise<IngestStore> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `costgraph-${options.prefix}-`));
  const storeDir = path.join(dir, 'store');
  const store = await startLocalPrometheus({ dataDir: storeDir, port: 0 });
  let ingest: RunningIngest;
  try {
    ingest = await startIngest({
      config: loadIngestConfig({ INGEST_PORT: '0', INGEST_INTERNAL_PORT: '0', THANOS_RECEIVE_URL: `${store.url}/api/v1/write`, ...options.env }),
      db,
      logger: silentLogger,
    });
  } catch (error) {
    await store.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const started: Array<{ agent?: LocalPrometheus; exporter: ExporterProcess }> = [];
  const stack: IngestStore = {
    dir,
    store,
    ingest,
    startAgent: async ({ exporter, credential, firstSamples, headers, maxBackoff }) => {
      const entry: (typeof started)[number] = { exporter };
      started.push(entry);
      const agent = await startScrapingAgent({ dir, target: exporter.url, ingestUrl: ingest.url, credential, headers, maxBackoff });
      entry.agent = agent;
      await waitFor(`first samples of ${firstSamples} in the store`, async () => {
        const result = await instantQuery(stack.store.url, `count(${firstSamples})`);
        return result.length > 0 ? result : undefined;
      });
      return agent;
    },
    restartStore: async () => {
      stack.store = await startLocalPrometheus({ dataDir: storeDir, port: stack.store.port });
      return stack.store;
    },
    close: async () => {
      for (const { agent, exporter } of started) {
        await agent?.stop();
        await exporter.close();
      }
      await ingest.close();
      await stack.store.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return stack;
}

/** A counter of the ingest worker's /metrics (at its internal URL), summed over the series whose labels contain `labels`. */
export async function ingestCounter(internalUrl: string, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${internalUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) && line.includes(labels))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

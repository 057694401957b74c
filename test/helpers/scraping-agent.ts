import path from 'node:path';
import { startLocalPrometheus, type LocalPrometheus } from '../../cli/local/local-prometheus';

export interface ScrapingAgentOptions {
  /** The agent's data lives in `<dir>/agent`. */
  dir: string;
  /** Host:port URL of the exporter scraped every second (job `kubecost`, labels honoured). */
  target: string;
  /** Base URL of the ingest worker; the agent writes to its /api/v1/write. */
  ingestUrl: string;
  credential: { username: string; password: string };
  /** Extra headers on every remote write. */
  headers?: Record<string, string>;
  /** Cap of Prometheus's own retry backoff, low so that catching up after a fault is quick. @default 1s */
  maxBackoff?: string;
}

/**
 * A real Prometheus agent (Debian binary, agent mode) scraping an exporter and remote-writing
 * to the ingest worker with a cluster's credential: the sender of the ingest tests.
 */
export function startScrapingAgent(options: ScrapingAgentOptions): Promise<LocalPrometheus> {
  return startLocalPrometheus({
    dataDir: path.join(options.dir, 'agent'),
    port: 0,
    agent: {
      scrapeInterval: '1s',
      scrapeConfigs: [{ job_name: 'kubecost', honor_labels: true, static_configs: [{ targets: [options.target] }] }],
      remoteWrite: [
        {
          url: `${options.ingestUrl}/api/v1/write`,
          basic_auth: { username: options.credential.username, password: options.credential.password },
          ...(options.headers ? { headers: options.headers } : {}),
          queue_config: { batch_send_deadline: '500ms', min_backoff: '50ms', max_backoff: options.maxBackoff ?? '1s' },
        },
      ],
    },
  });
}

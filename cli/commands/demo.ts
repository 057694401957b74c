import type { Command } from 'commander';
import { request } from 'undici';
import { runDemo } from '../demo/run-demo';
import { loadCliConfig, print, withDatabase } from '../context';
import { CliError } from '../errors';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('fill the running stack with demo data: 3 clusters × 14 days of Kubecost metrics through ingest, and the FOCUS fixture')
    .option('--ingest-url <url>', 'the ingest worker (default: PUBLIC_INGEST_URL without /api/v1/write)')
    .option('--json', 'print JSON')
    .action(async (options: { ingestUrl?: string; json?: boolean }) => {
      const common = loadCliConfig();
      const ingestUrl = (options.ingestUrl ?? common.publicIngestUrl).replace(/\/api\/v1\/write$/, '');
      // The public listener's /healthz: /readyz is on ingest's internal port, which a remote
      // --ingest-url does not reach. A store that is down shows as the writes' 503s.
      const ready = await request(`${ingestUrl}/healthz`, { headersTimeout: 3000 }).then(
        async (r) => (await r.body.dump(), r.statusCode === 200),
        () => false,
      );
      if (!ready) throw new CliError(`no ready ingest worker at ${ingestUrl}: start the stack first (./scripts/up)`);
      const result = await withDatabase((db) => runDemo({ db, ingestUrl, publicIngestUrl: common.publicIngestUrl }));
      const samples = result.clusters.reduce((n, c) => n + c.samples, 0);
      print(
        !!options.json,
        { ...result },
        `demo data for organization ${result.organizationId}: ${result.clusters.map((c) => c.name).join(', ')} (${samples} samples through ingest), ` +
          `${result.expenses.inserted + result.clustersBill.inserted} FOCUS rows imported (${result.expenses.duplicates + result.clustersBill.duplicates} already there), ` +
          `${result.clustersBill.rows} of them the clusters' own bill.\n` +
          `Headline variables: {"org": "${result.organizationId}", "range": {"from": "${result.range.from}", "to": "${result.range.to}"}}`,
      );
    });
}

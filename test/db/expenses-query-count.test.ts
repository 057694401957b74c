import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { createCloudAccount, createOrganization } from '../../lib/accounts/repository';
import { silentLogger } from '../../lib/log';
import type { RunningService } from '../../lib/http/listen';
import { loadExpensesConfig } from '../../subgraphs/expenses/config';
import { importFocusFile } from '../../subgraphs/expenses/import/import-focus';
import { startExpensesSubgraph } from '../../subgraphs/expenses/start';
import { countingDatabase, type CountingDatabase } from '../helpers/counting-database';
import { databaseBackends, type TestDatabase } from '../helpers/databases';
import { FIXTURES } from '../helpers/fixtures';
import { callSubgraph } from '../helpers/subgraph-client';

/*
 * The expenses subgraph batches per request (DataLoaders), so an organization page costs a
 * fixed number of SQL statements however many cloud accounts, rows and groups it shows, the
 * way the kubecost side's PromQL requests do not grow with the number of clusters.
 */

const PAGE = `query($org: ID!, $range: DateRangeInput!) {
  organization(id: $org) {
    id name currency
    kubernetesClusterIds
    cloudAccounts { id name type provider organization { id name } }
    costSummary(range: $range) { cloudCost kubernetesClusterIds }
    expenses(range: $range) {
      totalCost count
      byService: breakdown(by: SERVICE) { key cost count }
      byAccount: breakdown(by: CLOUD_ACCOUNT) { key cost count }
      byDay: breakdown(by: DAY) { key cost count }
      items(first: 200) {
        nodes { id cost serviceName cloudAccount { id name type organization { id name } } }
        pageInfo { hasNextPage }
      }
    }
  }
}`;

interface Page {
  organization: {
    kubernetesClusterIds: string[];
    cloudAccounts: Array<{ id: string; organization: { id: string } }>;
    expenses: { count: number; byAccount: Array<{ key: string }>; items: { nodes: Array<{ cloudAccount: { id: string; organization: { id: string } } }> } };
  };
}

const RANGE = { from: '2024-09-01T00:00:00Z', to: '2024-10-01T00:00:00Z' };
const SERVICES = ['Amazon Simple Queue Service', 'Amazon Elastic Compute Cloud', 'Amazon Simple Storage Service'];

/** A FOCUS file of `accounts` AWS accounts, one row per service each, built from the fixture's first row. */
function focusFile(dir: string, accounts: number): string {
  const text = fs.readFileSync(path.join(FIXTURES, 'focus', 'focus-1.0-sample.csv'), 'utf8');
  const [header, first] = parse(text, { to: 2, relax_quotes: true }) as string[][];
  const column = (name: string) => header.indexOf(name);
  const quote = (value: string) => (value === 'NULL' ? value : `"${value.replace(/"/g, '""')}"`);
  const lines = [header.map(quote).join(',')];
  for (let a = 0; a < accounts; a++) {
    SERVICES.forEach((service, s) => {
      const row = [...first];
      row[column('SubAccountId')] = String(100000000000 + a);
      row[column('SubAccountName')] = `account ${a}`;
      row[column('ServiceName')] = service;
      row[column('Id')] = String(a * SERVICES.length + s);
      row[column('BilledCost')] = `${a + 1}.${s}`;
      row[column('ChargePeriodStart')] = `2024-09-${String(10 + s).padStart(2, '0')} 00:00:00`;
      row[column('ChargePeriodEnd')] = `2024-09-${String(10 + s).padStart(2, '0')} 01:00:00`;
      lines.push(row.map(quote).join(','));
    });
  }
  const file = path.join(dir, `focus-${accounts}.csv`);
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe.each(databaseBackends())('SQL statements per expenses request ($name)', (backend) => {
  let t: TestDatabase;
  let db: CountingDatabase;
  let subgraph: RunningService;
  let dir: string;
  const secret = crypto.randomBytes(32).toString('hex');

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-query-count-'));
    t = await backend.create();
    db = countingDatabase(t.db);
    const config = loadExpensesConfig({ DATA_DIR: dir, INTERNAL_AUTH_SECRET: secret, EXPENSES_PORT: '0', EXPENSES_INTERNAL_PORT: '0' });
    subgraph = await startExpensesSubgraph({ config, db, logger: silentLogger });
  }, 60_000);

  afterAll(async () => {
    await subgraph?.close();
    await t?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** An organization with `n` AWS accounts holding expenses and `n` Kubernetes clusters; the statements its page costs. */
  async function pageStatements(n: number): Promise<string[]> {
    const org = (await createOrganization(t.db, `org of ${n}`)).id;
    await importFocusFile(t.db, org, focusFile(dir, n));
    for (let c = 0; c < n; c++) await createCloudAccount(t.db, { organizationId: org, name: `cluster ${c}`, type: 'kubernetes' });
    db.reset();
    const res = await callSubgraph<Page>(subgraph.url, PAGE, { org, range: RANGE }, { secret, organizationIds: [org] });
    const statements = [...db.statements];
    expect(res.errors).toBeUndefined();
    // The page really shows n of everything, so a constant count below means batching.
    const o = res.data!.organization;
    expect(o.cloudAccounts).toHaveLength(2 * n);
    expect(o.kubernetesClusterIds).toHaveLength(n);
    expect(o.expenses.count).toBe(n * SERVICES.length);
    expect(o.expenses.byAccount).toHaveLength(n);
    expect(new Set(o.expenses.items.nodes.map((node) => node.cloudAccount.id)).size).toBe(n);
    for (const node of o.expenses.items.nodes) expect(node.cloudAccount.organization.id).toBe(org);
    return statements;
  }

  it('an organization page issues the same bounded number of statements for 2 and for 12 cloud accounts', async () => {
    const small = await pageStatements(2);
    const large = await pageStatements(12);
    expect(large.length).toBe(small.length);
    // The organization, its accounts, one scan per breakdown (the totals ride on the first),
    // the items page (large costs first, then the rest) and the items' accounts in one batch.
    expect(large.length).toBeLessThanOrEqual(10);
    expect(large.length).toBeGreaterThan(0);
  }, 120_000);
});

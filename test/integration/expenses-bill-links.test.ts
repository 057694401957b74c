import { createOrganization } from '../../lib/accounts/repository';
import { ensureBillLinks } from '../../lib/reconciliation/bill-link-backfill';
import { importFocusFile } from '../../subgraphs/expenses/import/import-focus';
import { databaseBackends, type TestDatabase } from '../helpers/databases';
import { FOCUS_CSV_PATH as CSV, FOCUS_ROWS } from '../helpers/focus-fixture';

/*
 * The importer keeps, per charge period, the sums of the bill rows that name a cloud resource
 * or a cluster (expense_bill_links): what reconciling clusters with the bill reads. Expected
 * figures come from the fixture's CSV, read here with patterns of the test's own.
 */

interface LinkRow {
  kind: string;
  resource_key: string;
  cluster_key: string;
  billed: string;
  rows: string;
}

const SNAPSHOT = `SELECT kind, resource_key, cluster_key, charge_period_start, charge_period_end, trim_scale(billed_cost)::text AS billed, trim_scale(effective_cost)::text AS effective, row_count::text AS rows
                    FROM expense_bill_links WHERE organization_id = $1 ORDER BY 1, 2, 3, 4, 5`;

/** Exact sum of decimal texts with up to 11 decimals, in units of 1e-11. */
const sum = (costs: string[]) => costs.reduce((total, cost) => total + BigInt(Math.round(Number(cost) * 1e11)), 0n);

describe.each(databaseBackends())('bill links kept by the importer ($name)', (backend) => {
  let t: TestDatabase;
  let org: string;

  beforeAll(async () => {
    t = await backend.create();
    org = (await createOrganization(t.db, 'links')).id;
    await importFocusFile(t.db, org, CSV);
  }, 60_000);

  afterAll(async () => {
    await t?.drop();
  });

  it("links the fixture's instances, volumes and scale set by resource, and the AKS cluster's own rows as its management", async () => {
    const links = await t.db.query<LinkRow>(SNAPSHOT, [org]);
    // Bare EC2/EBS ids still in hex, OCI instance and (boot) volume OCIDs, Azure scale sets and managed disks.
    const resource = FOCUS_ROWS.filter((row) => /^(i|vol)-[0-9a-f]{8,17}$|^ocid\d*\.(instance|volume|bootvolume)\.|\/microsoft\.compute\/(virtualmachinescalesets|disks)\/[^/]+$/i.test(row.ResourceId ?? ''));
    expect(resource.length).toBeGreaterThan(0);
    const resourceLinks = links.filter((l) => l.kind === 'resource');
    expect(resourceLinks.reduce((n, l) => n + Number(l.rows), 0)).toBe(resource.length);
    expect(sum(resourceLinks.map((l) => l.billed))).toBe(sum(resource.map((row) => row.BilledCost!)));

    const vmss = resourceLinks.find((l) => l.resource_key.startsWith('azure:scale-set:'));
    expect(vmss).toMatchObject({ cluster_key: 'azure:cluster:analyticsengine', rows: '1' });
    const aks = FOCUS_ROWS.filter((row) => /managedclusters\/analyticsengine$/i.test(row.ResourceId ?? ''));
    const management = links.filter((l) => l.kind === 'management');
    expect(management.map((l) => l.cluster_key)).toEqual(aks.map(() => 'azure:cluster:analyticsengine'));
    expect(sum(management.map((l) => l.billed))).toBe(sum(aks.map((row) => row.BilledCost!)));
  });

  it('a second import of the same file adds nothing; links of rows imported before the importer kept them are built once, equal', async () => {
    const before = await t.db.query(SNAPSHOT, [org]);
    await importFocusFile(t.db, org, CSV);
    expect(await t.db.query(SNAPSHOT, [org])).toEqual(before);

    const ROW_KEYS = 'SELECT id, bill_resource_key, bill_cluster_key FROM expenses WHERE organization_id = $1 ORDER BY id';
    const rowKeys = await t.db.query<{ bill_resource_key: string | null; bill_cluster_key: string | null }>(ROW_KEYS, [org]);
    expect(rowKeys.filter((r) => r.bill_resource_key !== null).length).toBe(before.filter((l) => (l as { kind: string }).kind === 'resource').reduce((n, l) => n + Number((l as { rows: string }).rows), 0));
    expect(rowKeys.filter((r) => r.bill_cluster_key === 'azure:cluster:analyticsengine').length).toBe(2);

    // As migrations 016 and 017 leave an organization imported before them.
    await t.db.query('DELETE FROM expense_bill_links WHERE organization_id = $1', [org]);
    await t.db.query('UPDATE expenses SET bill_resource_key = NULL, bill_cluster_key = NULL WHERE organization_id = $1', [org]);
    await t.db.query('INSERT INTO expense_bill_links_pending (organization_id, imported_before) VALUES ($1, now() + interval \'1 second\')', [org]);
    await ensureBillLinks(t.db, org);
    expect(await t.db.query(SNAPSHOT, [org])).toEqual(before);
    expect(await t.db.query(ROW_KEYS, [org])).toEqual(rowKeys);
    expect(await t.db.query('SELECT 1 FROM expense_bill_links_pending WHERE organization_id = $1', [org])).toEqual([]);
    await ensureBillLinks(t.db, org);
    expect(await t.db.query(SNAPSHOT, [org])).toEqual(before);
  });
});

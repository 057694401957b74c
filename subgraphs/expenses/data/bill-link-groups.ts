import type { Queryable } from '../../../lib/db/database';
import { addBillLinks } from '../../../lib/reconciliation/bill-link-store';
import { billLinkOf, type BillLink } from '../../../lib/reconciliation/bill-links';
import { DecimalSum } from './decimal';

/**
 * The importer's side of `expense_bill_links` (migration 016): the rows an import inserts that
 * name a cloud resource or a cluster, summed per (account, link, charge period) and added to
 * the table in the import's transaction once the file is read, as the daily totals are.
 */

export class BillLinkGroup {
  readonly billed = new DecimalSum();
  readonly effective = new DecimalSum();
  count = 0;

  constructor(
    readonly cloudAccountId: string,
    readonly link: BillLink,
    readonly startMs: number,
    readonly endMs: number,
  ) {}

  /** Counts one inserted row whose billed and effective costs `plainParts` wrote at `parts[at]` and `parts[at + 3]`. */
  addParts(parts: Float64Array, at: number): void {
    this.billed.addParts(parts, at);
    this.effective.addParts(parts, at + 3);
    this.count++;
  }

  add(billedCost: string, effectiveCost: string): void {
    this.billed.add(billedCost);
    this.effective.add(effectiveCost);
    this.count++;
  }
}

/** The groups of one import. Most rows name no resource or cluster (SaaS, storage, requests): they cost one lookup. */
export class BillLinkGroups {
  private readonly groups = new Map<string, BillLinkGroup>();
  /** Links by resource id and tags: a resource is billed hour after hour with the same ones. */
  private readonly links = new Map<string, BillLink | null>();

  /**
   * The group of a row, or null when the row names nothing the reconciliation matches. `tagsText`
   * is the row's Tags as written, `tags` the same parsed.
   */
  groupOf(
    cloudAccountId: string,
    resourceId: string | null,
    tagsText: string | null,
    tags: Readonly<Record<string, unknown>> | null,
    startMs: number,
    endMs: number,
  ): BillLinkGroup | null {
    if (resourceId === null && tags === null) return null;
    const known = tagsText === null ? (resourceId ?? '') : `${resourceId ?? ''}\u0000${tagsText}`;
    let link = this.links.get(known);
    if (link === undefined) {
      link = billLinkOf(resourceId, tags);
      if (this.links.size >= 100_000) this.links.clear();
      // A copy: the key may be a slice of a whole chunk of the file, which the map would keep alive.
      this.links.set(Buffer.from(known, 'utf8').toString('utf8'), link);
    }
    if (link === null) return null;
    const key = `${cloudAccountId}|${link.kind}|${link.resourceKey ?? ''}|${link.clusterKey ?? ''}|${startMs}|${endMs}`;
    let group = this.groups.get(key);
    if (!group) this.groups.set(key, (group = new BillLinkGroup(cloudAccountId, link, startMs, endMs)));
    return group;
  }

  /** Adds the groups with inserted rows to the table, in key order (concurrent imports then lock in the same order). */
  async write(db: Queryable, organizationId: string): Promise<void> {
    const sums = [...this.groups.entries()]
      .filter(([, group]) => group.count > 0)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, g]) => ({ cloudAccountId: g.cloudAccountId, link: g.link, startMs: g.startMs, endMs: g.endMs, billed: g.billed.toString(), effective: g.effective.toString(), rows: g.count }));
    await addBillLinks(db, organizationId, sums);
  }
}

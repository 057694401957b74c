import { BinaryCopyRows, type BinaryColumn } from '../../../lib/db/copy-binary';
import type { BillLinkGroup } from '../data/bill-link-groups';
import type { DailyGroup } from '../data/daily-totals';
import { plainParts, type DecimalSum } from '../data/decimal';
import { STORED_AS_WRITTEN } from './focus-columns';

/** Columns of `expenses` the importer writes, in the order `FocusFileImport.encode` writes them. */
export const EXPENSE_COLUMNS: readonly BinaryColumn[] = [
  { name: 'id', type: 'uuid' },
  { name: 'organization_id', type: 'uuid' },
  { name: 'cloud_account_id', type: 'uuid' },
  { name: 'charge_period_start', type: 'timestamptz' },
  { name: 'charge_period_end', type: 'timestamptz' },
  { name: 'billed_cost', type: 'numeric' },
  { name: 'effective_cost', type: 'numeric' },
  { name: 'list_cost', type: 'numeric' },
  { name: 'billing_currency', type: 'text' },
  { name: 'provider', type: 'text' },
  ...STORED_AS_WRITTEN.map(([name]) => ({ name, type: 'text' as const })),
  { name: 'tags', type: 'jsonb' },
  { name: 'bill_resource_key', type: 'text' },
  { name: 'bill_cluster_key', type: 'text' },
  { name: 'row_hash', type: 'uuid' },
];

export const NONE: ReadonlySet<number> = new Set();

/** Numbers per row in `Chunk.costs`: billed, effective and list cost, three parts each. */
const COST_PARTS = 9;

/**
 * The rows of one chunk: their COPY data, and what each needs once it turns out to be new
 * (its row hash for the duplicate check, its daily and bill link groups and its costs). The costs wait as
 * numbers in a typed array: texts sliced from the file's text would keep that text alive
 * until the database answered, and the GC would copy and promote it.
 */
export class Chunk {
  /** Its buffer, sized for the rows up front. */
  readonly data: BinaryCopyRows;
  readonly hashes: string[] = [];
  readonly groups: DailyGroup[] = [];
  /** Each row's bill link group, or null. */
  readonly links: Array<BillLinkGroup | null> = [];
  /** Each row's costs as `plainParts` writes them, COST_PARTS numbers a row. */
  private costs: Float64Array;
  /** Rows with a cost of another shape (scientific notation, very long): their cost texts. */
  private readonly texts = new Map<number, readonly [string, string, string]>();
  /** Each row's ChargePeriodStart, in milliseconds. */
  private starts: Float64Array;
  /** Row positions by ChargePeriodStart once `copyData` has sorted them; null when in order already. */
  private order: Uint32Array | null | undefined;
  /** The COPY data of every row, once assembled. */
  private whole: Buffer | undefined;

  constructor(rows: number) {
    this.data = new BinaryCopyRows(EXPENSE_COLUMNS, rows * 640);
    this.costs = new Float64Array(rows * COST_PARTS);
    this.starts = new Float64Array(rows);
  }

  get length(): number {
    return this.hashes.length;
  }

  /** The position of the row of that hash (32 hexadecimal digits), or -1. */
  positionOf(rowHash: string | undefined): number {
    return rowHash === undefined ? -1 : this.hashes.indexOf(rowHash);
  }

  /** Takes a row whose values are already in `data`. */
  add(rowHash: string, group: DailyGroup, link: BillLinkGroup | null, start: number, billedCost: string, effectiveCost: string, listCost: string): void {
    const row = this.hashes.length;
    this.hashes.push(rowHash);
    this.groups.push(group);
    this.links.push(link);
    if (row === this.starts.length) this.starts = grown(this.starts);
    this.starts[row] = start;
    const at = row * COST_PARTS;
    if (at + COST_PARTS > this.costs.length) this.costs = grown(this.costs);
    const costs = this.costs;
    if (!(plainParts(billedCost, costs, at) && plainParts(effectiveCost, costs, at + 3) && plainParts(listCost, costs, at + 6))) {
      this.texts.set(row, [billedCost, effectiveCost, listCost]);
    }
  }

  /**
   * The COPY data of the rows, but those in `skip`, ordered by ChargePeriodStart. FOCUS files
   * list rows in no particular order, so in file order consecutive rows land on distant pages
   * of the (organization, start) index, the largest one; in time order, consecutive inserts
   * descend through the same pages, already in the CPU's caches, and the heap mostly keeps
   * each chunk's rows of a day together (docs/benchmarks/expenses.md, "Chunks in time order").
   */
  copyData(skip: ReadonlySet<number> = NONE): Buffer {
    if (skip.size === 0 && this.whole) return this.whole;
    // A refused chunk is copied a second time: the order is worked out once.
    if (this.order === undefined) {
      const starts = this.starts;
      let sorted = true;
      for (let row = 1; row < this.length && sorted; row++) sorted = starts[row - 1] <= starts[row];
      if (sorted) {
        this.order = null;
      } else {
        const order = new Uint32Array(this.length);
        for (let row = 0; row < order.length; row++) order[row] = row;
        this.order = order.sort((a, b) => starts[a] - starts[b]);
      }
    }
    const data = this.data.toBuffer(skip, this.order ?? undefined);
    if (skip.size === 0) this.whole = data;
    return data;
  }

  /** Adds row `row`, now inserted, to its daily group and its bill link group. */
  addToGroup(row: number): void {
    const texts = this.textsOf(row);
    const link = this.links[row];
    if (texts) {
      this.groups[row].add(...texts);
      link?.add(texts[0], texts[1]);
    } else {
      this.groups[row].addParts(this.costs, row * COST_PARTS);
      link?.addParts(this.costs, row * COST_PARTS);
    }
  }

  /** Adds the billed cost of row `row` to `sum`, from the parts already read. */
  addBilledTo(row: number, sum: DecimalSum): void {
    const texts = this.textsOf(row);
    if (texts) sum.add(texts[0]);
    else sum.addParts(this.costs, row * COST_PARTS);
  }

  private textsOf(row: number): readonly [string, string, string] | undefined {
    return this.texts.size === 0 ? undefined : this.texts.get(row);
  }

  clear(): void {
    this.data.clear();
    this.hashes.length = 0;
    this.groups.length = 0;
    this.links.length = 0;
    this.order = undefined;
    this.whole = undefined;
    this.texts.clear();
  }
}

/** A copy twice as long. */
function grown(array: Float64Array): Float64Array {
  const copy = new Float64Array(array.length * 2);
  copy.set(array);
  return copy;
}

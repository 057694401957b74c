import type { Generations, StoredGroup } from './rollup-store';

export type Sums = Map<string, Map<number, StoredGroup>>;

interface Entry {
  ids: ReadonlySet<string>;
  generations: Generations;
  sums: Promise<Sums>;
  /** Groups held (0 while computing): what the bound counts. */
  groups: number;
  expiresMs: number;
}

/*
 * Rolled-up sums kept in the process, so that the requests of a dashboard load (the headline's
 * two fetches, each chart) and every rolling "last 30 days" of the same hour read the database's
 * aggregate once: a closed hour never changes unless late samples make it stale, and that moves
 * the cluster's generation, which every use compares. Only complete sums are kept (a group
 * lacking hours is completed and stored by the request that found it lacking), identical
 * requests arriving together share one read, and entries expire, so rows changed behind the
 * subgraph's back (by hand, say) are seen within `ttlMs`.
 */
export class SumsMemo {
  private readonly entries = new Map<string, Entry>();
  private groups = 0;

  constructor(
    private readonly maxGroups = 100_000,
    private readonly ttlMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  async get(key: string, ids: readonly string[], generations: Generations, read: () => Promise<Sums>, complete: (sums: Sums) => boolean): Promise<Sums> {
    const found = this.entries.get(key);
    if (found && found.expiresMs > this.now() && ids.every((id) => found.generations.get(id) === generations.get(id))) {
      // Most recently used last: eviction takes from the front.
      this.entries.delete(key);
      this.entries.set(key, found);
      return found.sums;
    }
    if (found) this.remove(key, found);
    const entry: Entry = { ids: new Set(ids), generations: new Map(generations), sums: read(), groups: 0, expiresMs: this.now() + this.ttlMs };
    this.entries.set(key, entry);
    let sums: Sums;
    try {
      sums = await entry.sums;
    } catch (error) {
      if (this.entries.get(key) === entry) this.remove(key, entry);
      throw error;
    }
    if (this.entries.get(key) !== entry) return sums;
    if (!complete(sums)) {
      this.remove(key, entry);
      return sums;
    }
    entry.groups = [...sums.values()].reduce((n, groups) => n + groups.size, 0);
    this.groups += entry.groups;
    for (const [oldest, old] of this.entries) {
      if (this.groups <= this.maxGroups || old === entry) break;
      this.remove(oldest, old);
    }
    return sums;
  }

  /** Forgets every entry holding one of `ids` (their rows changed in this process). */
  forget(ids: readonly string[]): void {
    for (const [key, entry] of this.entries) if (ids.some((id) => entry.ids.has(id))) this.remove(key, entry);
  }

  private remove(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.groups -= entry.groups;
  }
}

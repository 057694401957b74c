import { LRUCache } from 'lru-cache';
import { HOUR_MS, isHourClosed } from '../../../lib/cost-rollups/closing';
import { costWindow, type Bucket, type Window } from '../costs/window';
import { podAllocationQuery, workloadsQuery } from '../costs/queries';
import type { QueryBudget } from '../costs/query-budget';
import { tenantSelector } from '../promql/matchers';
import type { Promql, VectorPoint } from '../promql/thanos-client';
import type { RollupStore } from '../rollups/rollup-store';
import { emptyPart, mergeParts, partInputs, type AllocationInputs, type PartInputs } from './part-inputs';
import type { AllocationPartStore } from './part-store';

export type { AllocationInputs } from './part-inputs';

const DAY_MS = 86_400_000;

/**
 * The parts a range is asked in: whole UTC days where the range holds them, whole hours beside
 * them, and the partial hours at its ends. Closed days and hours are kept (part-store.ts), so a
 * rolling window asks the metrics store only for its partial hours and the hours not closed yet.
 */
export function allocationParts(fromMs: number, toMs: number): Bucket[] {
  const parts: Bucket[] = [];
  for (let start = fromMs; start < toMs; ) {
    const dayEnd = (Math.floor(start / DAY_MS) + 1) * DAY_MS;
    const end = start % DAY_MS === 0 && dayEnd <= toMs ? dayEnd : Math.min(toMs, (Math.floor(start / HOUR_MS) + 1) * HOUR_MS);
    parts.push({ startMs: start, endMs: end });
    start = end;
  }
  return parts;
}

export interface AllocationLoadOptions {
  /** Where closed parts are kept; without it every part is asked of PromQL. */
  parts?: AllocationPartStore;
  /** Required with `parts`: its generations say which kept parts are current. */
  rollups?: RollupStore;
  budget?: QueryBudget;
  nowMs?: number;
}

const isWhole = (part: Bucket) => part.endMs - part.startMs === HOUR_MS || part.endMs - part.startMs === DAY_MS;
/** A whole hour or day whose last hour is closed: late samples aside, it never changes. */
const isClosed = (part: Bucket, nowMs: number) => isWhole(part) && isHourClosed(part.endMs - HOUR_MS, nowMs);

/** A part as the queries see it, integrated at the whole range's resolution. */
const windowOf = (part: Bucket, resolutionSeconds: number): Window => ({
  fromMs: part.startMs,
  toMs: part.endMs,
  evalMs: part.endMs - 1,
  range: `${part.endMs - part.startMs - 1}ms`,
  resolutionSeconds,
  hours: (part.endMs - part.startMs) / HOUR_MS,
});

/** Merged inputs of recent ranges, reused while every part is the very object it was merged from. */
const merged = new LRUCache<string, { parts: readonly PartInputs[]; inputs: AllocationInputs }>({ max: 256 });

/**
 * Every cluster's pods (per pod and node) and workloads over [from, to), whatever dimensions
 * are asked (grouping happens in allocate.ts), as the sum of the range's parts
 * (allocationParts). Every part is integrated at the whole range's resolution, so the parts'
 * points are exactly the range's and they add up to what one query over the range returns.
 * Closed parts come from the part store; those it lacks are computed for all the clusters
 * lacking them in one range query per run of hours or days, and kept; the rest (partial hours,
 * parts not closed yet) are asked on each request, two instant queries per part for every
 * cluster (the result cache answers repeats).
 */
export async function loadAllocationInputs(client: Promql, ids: readonly string[], from: Date, to: Date, options: AllocationLoadOptions = {}): Promise<Map<string, AllocationInputs>> {
  const nowMs = options.nowMs ?? Date.now();
  const whole = costWindow(from, to);
  const resolution = whole.resolutionSeconds;
  const parts = allocationParts(whole.fromMs, whole.toMs);
  const store = options.parts && options.rollups ? { parts: options.parts, rollups: options.rollups } : undefined;
  const closed = store ? parts.filter((part) => isClosed(part, nowMs)) : [];
  const direct = parts.filter((part) => !closed.includes(part));
  const T = tenantSelector(ids);
  // Asked of PromQL on every request: the clusters × the hours of the parts not kept.
  options.budget?.charge((ids.length * direct.reduce((sum, p) => sum + p.endMs - p.startMs, 0)) / HOUR_MS);

  const byPart = new Map<number, Map<string, PartInputs>>();
  const asked = Promise.all(
    direct.map(async (part) => {
      const window = windowOf(part, resolution);
      const [pods, workloads] = await Promise.all([client.instant(podAllocationQuery(T, window), window.evalMs), client.instant(workloadsQuery(T, window), window.evalMs)]);
      byPart.set(part.startMs, partInputs(ids, pods, workloads));
    }),
  );
  const kept = store && closed.length > 0 ? loadClosedParts(client, ids, closed, resolution, store, options.budget) : Promise.resolve(new Map<string, Map<number, PartInputs>>());
  const [, found] = await Promise.all([asked, kept]);

  const result = new Map<string, AllocationInputs>();
  for (const id of ids) {
    const mine = parts.map((part) => found.get(id)?.get(part.startMs) ?? byPart.get(part.startMs)?.get(id) ?? emptyPart());
    const key = `${id}:${whole.fromMs}:${whole.toMs}`;
    const before = merged.get(key);
    if (before && before.parts.length === mine.length && before.parts.every((part, i) => part === mine[i])) {
      result.set(id, before.inputs);
      continue;
    }
    const inputs = mergeParts(mine);
    merged.set(key, { parts: mine, inputs });
    result.set(id, inputs);
  }
  return result;
}

/**
 * The closed parts of every cluster: kept ones from the store, the rest computed (for the
 * clusters lacking any part of a run of hours or days, over the span of what they lack) and kept.
 */
async function loadClosedParts(
  client: Promql,
  ids: readonly string[],
  closed: readonly Bucket[],
  resolution: number,
  store: { parts: AllocationPartStore; rollups: RollupStore },
  budget: QueryBudget | undefined,
): Promise<Map<string, Map<number, PartInputs>>> {
  const generations = await store.rollups.prepare(ids);
  const found = await store.parts.get(ids, resolution, closed, generations);
  const computed = new Map<string, Array<readonly [Bucket, PartInputs]>>();
  await Promise.all(
    runsOf(closed).map(async (run) => {
      const lacking = ids.filter((id) => run.some((part) => !found.get(id)!.has(part.startMs)));
      if (lacking.length === 0) return;
      const missing = run.filter((part) => lacking.some((id) => !found.get(id)!.has(part.startMs)));
      const span = run.slice(run.indexOf(missing[0]), run.indexOf(missing[missing.length - 1]) + 1);
      budget?.charge((lacking.length * (span[span.length - 1].endMs - span[0].startMs)) / HOUR_MS);
      const answers = await askRun(client, lacking, span, resolution);
      for (const id of lacking) {
        const mine = computed.get(id) ?? [];
        for (const part of span) {
          if (found.get(id)!.has(part.startMs)) continue;
          const inputs = answers.get(part.startMs)!.get(id)!;
          found.get(id)!.set(part.startMs, inputs);
          mine.push([part, inputs]);
        }
        computed.set(id, mine);
      }
    }),
  );
  // Not waited for: keeping the parts is not part of the answer.
  void store.parts.save(computed, resolution, generations);
  return found;
}

/** Closed parts in runs of consecutive parts of one length (hours before the days, days, hours after). */
function runsOf(closed: readonly Bucket[]): Bucket[][] {
  const runs: Bucket[][] = [];
  for (const part of closed) {
    const run = runs[runs.length - 1];
    const last = run?.[run.length - 1];
    if (last && last.endMs === part.startMs && last.endMs - last.startMs === part.endMs - part.startMs) run.push(part);
    else runs.push([part]);
  }
  return runs;
}

/** Consecutive parts of one length asked together: the two queries as range queries, one step per part. */
async function askRun(client: Promql, ids: readonly string[], run: readonly Bucket[], resolution: number): Promise<Map<number, Map<string, PartInputs>>> {
  const length = run[0].endMs - run[0].startMs;
  const window = windowOf(run[0], resolution);
  const T = tenantSelector(ids);
  const firstEval = run[0].endMs - 1;
  const lastEval = run[run.length - 1].endMs - 1;
  const [pods, workloads] = await Promise.all([
    client.range(podAllocationQuery(T, window), firstEval, lastEval, length / 1000),
    client.range(workloadsQuery(T, window), firstEval, lastEval, length / 1000),
  ]);
  // Each series' points, as the instant answers of the parts they fall in.
  const split = (series: Awaited<ReturnType<Promql['range']>>) => {
    const points = run.map((): VectorPoint[] => []);
    for (const { labels, points: values } of series) {
      for (const { time, value } of values) {
        const i = Math.round((time - firstEval) / length);
        if (i >= 0 && i < run.length) points[i].push({ labels, value });
      }
    }
    return points;
  };
  const podPoints = split(pods);
  const workloadPoints = split(workloads);
  return new Map(run.map((part, i) => [part.startMs, partInputs(ids, podPoints[i], workloadPoints[i])]));
}

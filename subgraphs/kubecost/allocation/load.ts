import { LRUCache } from 'lru-cache';
import { HOUR_MS, isHourClosed } from '../../../lib/cost-rollups/closing';
import { costWindow, type Bucket, type Window } from '../costs/window';
import { podAllocationQuery, workloadsQuery } from '../costs/queries';
import type { QueryBudget } from '../costs/query-budget';
import { tenantSelector } from '../promql/matchers';
import type { Promql, VectorPoint } from '../promql/thanos-client';
import type { Generations, RollupStore } from '../rollups/rollup-store';
import { emptyPart, mergeParts, partInputs, sumParts, type AllocationInputs, type PartInputs } from './part-inputs';
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

/**
 * A part asked of PromQL on every request, cut to the subquery points it holds: a partial end
 * moves every minute, but the points of `[range:resolution]` (multiples of the resolution) only
 * every `resolution` seconds, so the query stays the same, and the result cache answers it, until
 * they do. A start off the grid moves back to just after the point before it, an end off the
 * grid to just after its last point; the points, and so the costs, are those of the part itself.
 * Only the egress counters' growth and kube-state-metrics' last owners and labels are read over
 * the span so cut (within a resolution of the part's ends). Undefined when the part holds no point.
 */
export function pointSpan(part: Bucket, resolutionSeconds: number): Bucket | undefined {
  const r = resolutionSeconds * 1000;
  const first = Math.ceil(part.startMs / r) * r;
  const last = Math.floor((part.endMs - 1) / r) * r;
  if (first > last) return undefined;
  const endMs = part.endMs % r === 0 ? part.endMs : last + 1;
  // A part whose only point is its start and whose end is off the grid would be a 0 ms range
  // (none in PromQL): its start moves back too.
  const startMs = part.startMs % r === 0 && (part.endMs % r === 0 || last > first) ? part.startMs : first - r + 1;
  return { startMs, endMs };
}

/** Runs of adjacent parts that are all closed or all not: the closed ones read, the others asked together. */
function segmentsOf(parts: readonly Bucket[], isKept: (part: Bucket) => boolean): Array<{ kept: boolean; parts: Bucket[] }> {
  const segments: Array<{ kept: boolean; parts: Bucket[] }> = [];
  for (const part of parts) {
    const kept = isKept(part);
    const last = segments[segments.length - 1];
    if (last?.kept === kept) last.parts.push(part);
    else segments.push({ kept, parts: [part] });
  }
  return segments;
}

/**
 * Per cluster, sums of recent runs of kept parts and merged inputs of recent ranges, each reused
 * while every part it was made of is the very same object (kept parts are, until their
 * generation moves; asked ones are while the result cache answers); bounded by their entries.
 */
const summed = new LRUCache<string, { parts: readonly PartInputs[]; sum: PartInputs }>({ maxSize: 2_000_000, sizeCalculation: (entry) => entry.sum.onNodes.length + entry.sum.perPod.length + 1 });
const merged = new LRUCache<string, { parts: readonly PartInputs[]; inputs: AllocationInputs }>({ maxSize: 1_000_000, sizeCalculation: (entry) => entry.inputs.pods.length + 1 });
const sameParts = (a: readonly PartInputs[], b: readonly PartInputs[]) => a.length === b.length && a.every((part, i) => part === b[i]);
/** A cluster's part without data: one object, so that memos see it as the same part. */
const NOTHING: PartInputs = emptyPart();

/**
 * Every cluster's pods (per pod and node) and workloads over [from, to), whatever dimensions
 * are asked (grouping happens in allocate.ts), as the sum of the range's parts
 * (allocationParts). Every part is integrated at the whole range's resolution, so the parts'
 * points are exactly the range's and they add up to what one query over the range returns.
 * Closed parts come from the part store; those it lacks are computed for all the clusters
 * lacking them in one range query per run of hours or days, and kept. Adjacent parts that are
 * not closed (the partial hours, hours not closed yet) are asked together on each request, two
 * instant queries for every cluster, cut to their subquery points (pointSpan).
 */
export async function loadAllocationInputs(client: Promql, ids: readonly string[], from: Date, to: Date, options: AllocationLoadOptions = {}): Promise<Map<string, AllocationInputs>> {
  const nowMs = options.nowMs ?? Date.now();
  const whole = costWindow(from, to);
  const resolution = whole.resolutionSeconds;
  const store = options.parts && options.rollups ? { parts: options.parts, rollups: options.rollups } : undefined;
  const segments = segmentsOf(allocationParts(whole.fromMs, whole.toMs), (part) => store !== undefined && isClosed(part, nowMs));
  const asked = segments.filter((segment) => !segment.kept).map((segment) => ({ startMs: segment.parts[0].startMs, endMs: segment.parts[segment.parts.length - 1].endMs }));
  const closed = segments.filter((segment) => segment.kept).flatMap((segment) => segment.parts);
  const T = tenantSelector(ids);
  // Asked of PromQL on every request: the clusters × the hours of the parts not kept.
  options.budget?.charge((ids.length * asked.reduce((sum, p) => sum + p.endMs - p.startMs, 0)) / HOUR_MS);

  // What the store lacks is charged too, before any query is sent.
  const plan = store && closed.length > 0 ? await planClosedParts(ids, closed, resolution, store, options.budget) : undefined;
  const spans = asked.map((segment) => pointSpan(segment, resolution));
  const answered = Promise.all(
    spans.map(async (span) => {
      if (!span) return new Map<string, PartInputs>();
      const window = windowOf(span, resolution);
      const [pods, workloads] = await Promise.all([client.instant(podAllocationQuery(T, window), window.evalMs), client.instant(workloadsQuery(T, window), window.evalMs)]);
      return partInputs(ids, pods, workloads);
    }),
  );
  const kept = plan ? completeClosedParts(client, resolution, plan) : Promise.resolve(new Map<string, Map<number, PartInputs>>());
  const [answers, found] = await Promise.all([answered, kept]);

  // What the parts are made of: the kept parts' spans and the asked ones' as cut to their
  // points, the same for a range whose ends moved within its subquery points.
  const made = [...segments.filter((segment) => segment.kept).map((segment) => `${segment.parts[0].startMs}-${segment.parts[segment.parts.length - 1].endMs}`), ...spans.map((span) => (span ? `${span.startMs}-${span.endMs}` : '-'))].join(',');
  const result = new Map<string, AllocationInputs>();
  for (const id of ids) {
    let a = 0;
    const mine = segments.map((segment) => {
      if (!segment.kept) return answers[a++].get(id) ?? NOTHING;
      const parts = segment.parts.map((part) => found.get(id)?.get(part.startMs) ?? NOTHING);
      const key = `${id}:${resolution}:${segment.parts[0].startMs}:${segment.parts[segment.parts.length - 1].endMs}`;
      const before = summed.get(key);
      if (before && sameParts(before.parts, parts)) return before.sum;
      const sum = sumParts(parts);
      summed.set(key, { parts, sum });
      return sum;
    });
    const key = `${id}:${resolution}:${made}`;
    const before = merged.get(key);
    if (before && sameParts(before.parts, mine)) {
      result.set(id, before.inputs);
      continue;
    }
    const inputs = mergeParts(mine);
    merged.set(key, { parts: mine, inputs });
    result.set(id, inputs);
  }
  return result;
}

interface ClosedPlan {
  store: { parts: AllocationPartStore; rollups: RollupStore };
  generations: Generations;
  /** Per cluster, its closed parts kept so far, by start. */
  found: Map<string, Map<number, PartInputs>>;
  /** Runs of parts to compute: for the clusters lacking any part of a run, over the span of what they lack. */
  missing: Array<{ lacking: string[]; span: Bucket[] }>;
}

/** The closed parts the store keeps, and what is missing, charged to the budget. */
async function planClosedParts(
  ids: readonly string[],
  closed: readonly Bucket[],
  resolution: number,
  store: { parts: AllocationPartStore; rollups: RollupStore },
  budget: QueryBudget | undefined,
): Promise<ClosedPlan> {
  const generations = await store.rollups.prepare(ids);
  const found = await store.parts.get(ids, resolution, closed, generations);
  const missing: ClosedPlan['missing'] = [];
  for (const run of runsOf(closed)) {
    const lacking = ids.filter((id) => run.some((part) => !found.get(id)!.has(part.startMs)));
    if (lacking.length === 0) continue;
    const absent = run.filter((part) => lacking.some((id) => !found.get(id)!.has(part.startMs)));
    missing.push({ lacking, span: run.slice(run.indexOf(absent[0]), run.indexOf(absent[absent.length - 1]) + 1) });
  }
  budget?.charge(missing.reduce((sum, { lacking, span }) => sum + (lacking.length * (span[span.length - 1].endMs - span[0].startMs)) / HOUR_MS, 0));
  return { store, generations, found, missing };
}

/** The plan's missing parts computed (one range query pair per run) and kept; every closed part of every cluster. */
async function completeClosedParts(client: Promql, resolution: number, plan: ClosedPlan): Promise<Map<string, Map<number, PartInputs>>> {
  const { found } = plan;
  const computed = new Map<string, Array<readonly [Bucket, PartInputs]>>();
  await Promise.all(
    plan.missing.map(async ({ lacking, span }) => {
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
  void plan.store.parts.save(computed, resolution, plan.generations);
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

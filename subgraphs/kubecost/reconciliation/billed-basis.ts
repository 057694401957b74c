import type { CostBreakdown } from '../costs/cluster-costs';
import type { BillMatches, MatchedAsset } from './bill-matches';

/** ClusterCost.reconciliation without its coverage (which needs the cluster's total). */
export interface Reconciliation {
  billedCost: number;
  estimatedCost: number;
  matchedAssets: number;
  unmatchedAssets: number;
  /** The matched assets, most billed first. */
  assets: MatchedAsset[];
}

export function reconciliationOf(matches: BillMatches): Reconciliation {
  const assets = matches.assets;
  return {
    assets: [...assets].sort((a, b) => b.billed - a.billed || a.name.localeCompare(b.name)),
    billedCost: assets.reduce((sum, a) => sum + a.billed, 0) + matches.management.billed + matches.loadBalancers.billed,
    estimatedCost: assets.reduce((sum, a) => sum + a.estimated, 0) + matches.management.estimated + matches.loadBalancers.estimated,
    matchedAssets: assets.length,
    unmatchedAssets: matches.unmatchedAssets,
  };
}

/**
 * The breakdown with the bill in place of the estimate where a bill row covers: each matched
 * node's billed cost split into cpu, ram and gpu as its estimate for those hours splits (all of
 * it to cpu when that estimate is zero), volumes, the management fee and load balancers as billed.
 */
export function billedBreakdown(estimated: CostBreakdown, matches: BillMatches): CostBreakdown {
  const billed = { ...estimated };
  for (const asset of matches.assets) {
    if (asset.kind === 'volume') {
      billed.persistentVolumes += asset.billed - asset.estimated;
      continue;
    }
    const split = asset.cpu + asset.ram + asset.gpu;
    billed.cpu += (split > 0 ? (asset.billed * asset.cpu) / split : asset.billed) - asset.cpu;
    billed.ram += (split > 0 ? (asset.billed * asset.ram) / split : 0) - asset.ram;
    billed.gpu += (split > 0 ? (asset.billed * asset.gpu) / split : 0) - asset.gpu;
  }
  billed.clusterManagement += matches.management.billed - matches.management.estimated;
  billed.loadBalancers += matches.loadBalancers.billed - matches.loadBalancers.estimated;
  return billed;
}

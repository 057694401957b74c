import { COST_METRIC_FAMILIES } from '../../lib/remote-write/cost-metrics';

/** One label as [name, value]. */
export type LabelPair = readonly [name: string, value: string];

const NAMESPACES = ['kube-system', 'monitoring', 'kubecost', 'payments', 'checkout', 'search', 'ingest', 'default', 'data-platform', 'frontend'];
const APPS = ['api-gateway', 'orders', 'billing-worker', 'search-indexer', 'postgres', 'redis', 'kafka-broker', 'web', 'cost-analyzer', 'node-exporter'];
const CONTAINERS = ['app', 'sidecar', 'istio-proxy', 'worker', 'exporter', 'init-config'];
const INSTANCE_TYPES = ['m5.xlarge', 'm5.2xlarge', 'c5.2xlarge', 'r5.xlarge', 'g4dn.xlarge', 'm6i.4xlarge'];
const ZONES = ['a', 'b', 'c'];
const REGION = 'eu-west-1';
const NODES = 40;

/** A small deterministic hash, so every run builds the same label values. */
function mix(n: number): number {
  let x = (n + 0x9e3779b9) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * `count` series shaped like what Kubecost's bundled Prometheus sends: the cost-model metric
 * families with 8 labels each besides `__name__`. `tag` goes into every pod name, so series
 * of different runs (and different senders) never collide in the store. Labels are sorted by
 * name, as Prometheus senders send them.
 */
export function kubecostSeries(count: number, tag: string, tenantLabel?: string): LabelPair[][] {
  const series: LabelPair[][] = [];
  for (let i = 0; i < count; i++) {
    const family = COST_METRIC_FAMILIES[i % COST_METRIC_FAMILIES.length];
    const node = mix(i >>> 3) % NODES;
    const ip = `10.0.${16 + (node >> 4)}.${20 + (node & 15)}`;
    const zone = ZONES[node % ZONES.length];
    const app = APPS[mix(i) % APPS.length];
    const labels: LabelPair[] = [
      ['__name__', family],
      ['container', CONTAINERS[mix(i + 1) % CONTAINERS.length]],
      ['instance', `${ip}:9003`],
      ['instance_type', INSTANCE_TYPES[node % INSTANCE_TYPES.length]],
      ['namespace', NAMESPACES[mix(i + 2) % NAMESPACES.length]],
      ['node', `ip-${ip.replace(/\./g, '-')}.${REGION}.compute.internal`],
      ['pod', `${app}-${tag}-${mix(i + 3).toString(36).padStart(7, '0').slice(0, 7)}-${i.toString(36)}`],
      ['provider_id', `aws:///${REGION}${zone}/i-0${mix(node + 11).toString(16).padStart(8, '0')}${mix(node + 12).toString(16).padStart(8, '0')}`],
      ['region', REGION],
      ...(tenantLabel === undefined ? [] : [['tenant_id', tenantLabel] as LabelPair]),
    ];
    labels.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    series.push(labels);
  }
  return series;
}

/** Counters only grow; everything else in the cost model is a gauge. */
export function isCounter(family: string): boolean {
  return family.endsWith('_total');
}

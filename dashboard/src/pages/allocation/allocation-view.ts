import type { AllocationDimension, AllocationGroup, IdleMode } from '../../api/generated';

/** The allocation page's choices, kept in the URL so a view can be shared and reloaded. */
export interface AllocationView {
  groups: AllocationGroup[];
  idle: IdleMode;
  shared: string[];
}

export const DIMENSIONS: Array<[AllocationDimension, string]> = [
  ['NAMESPACE', 'Namespace'],
  ['CONTROLLER', 'Controller'],
  ['POD', 'Pod'],
  ['NODE', 'Node'],
  ['LABEL', 'Label'],
];

export const IDLE_MODES: Array<[IdleMode, string]> = [
  ['SEPARATE', 'Show idle as a row'],
  ['SHARE_BY_COST', 'Share idle by cost'],
  ['HIDE', 'Hide idle'],
];

const isDimension = (value: string | null): value is AllocationDimension => DIMENSIONS.some(([d]) => d === value);

/** `?by=NAMESPACE&key=&by2=LABEL&key2=team&idle=SHARE_BY_COST&shared=kube-system,monitoring`. */
export function viewFromSearch(search: URLSearchParams): AllocationView {
  const groups: AllocationGroup[] = [];
  for (const [by, key] of [
    ['by', 'key'],
    ['by2', 'key2'],
  ] as const) {
    const dimension = search.get(by);
    if (!isDimension(dimension)) continue;
    const labelKey = search.get(key) ?? '';
    if (dimension === 'LABEL' && !labelKey) continue;
    groups.push(dimension === 'LABEL' ? { dimension, labelKey } : { dimension });
  }
  const idle = IDLE_MODES.find(([mode]) => mode === search.get('idle'))?.[0] ?? 'SEPARATE';
  const shared = (search.get('shared') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return { groups: groups.length > 0 ? groups : [{ dimension: 'NAMESPACE' }], idle, shared };
}

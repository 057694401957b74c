/** Kubernetes cost categories in display order, with their names and chart colours. */
export const CATEGORIES = [
  { key: 'cpu', label: 'CPU', color: '#3b6fd8' },
  { key: 'ram', label: 'RAM', color: '#2a9d8f' },
  { key: 'gpu', label: 'GPU', color: '#8e5cc9' },
  { key: 'persistentVolumes', label: 'Persistent volumes', color: '#e09f3e' },
  { key: 'network', label: 'Network', color: '#d1495b' },
  { key: 'loadBalancers', label: 'Load balancers', color: '#6c757d' },
  { key: 'clusterManagement', label: 'Cluster management', color: '#b08968' },
] as const;

export type CategoryKey = (typeof CATEGORIES)[number]['key'];

export const CLOUD_COLOR = '#3b6fd8';
export const KUBERNETES_COLOR = '#2a9d8f';

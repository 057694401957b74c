import type { ProviderIds, ResourceKey } from '../resource-key';

/*
 * Compute Engine instances and persistent disks. Nodes carry `gce://<project>/<zone>/<name>`;
 * the PD CSI driver's volume handle is `projects/<project>/zones/<zone>/disks/<name>` (or
 * `regions/<region>` for regional disks); bills write the resource name in full
 * (`//compute.googleapis.com/projects/…/zones/…/instances/<name>`), relative
 * (`projects/…/instances/<name>`) or as an API URL (`https://www.googleapis.com/compute/v1/projects/…`).
 */

const RELATIVE = /^projects\/([^/]+)\/(zones|regions)\/([^/]+)\/(instances|disks)\/([^/]+)$/;

function fromRelative(path: string): ResourceKey | null {
  const match = RELATIVE.exec(path);
  if (!match) return null;
  const [, project, scope, location, type, name] = match;
  if (type === 'instances' && scope !== 'zones') return null;
  return { provider: 'gcp', kind: type === 'instances' ? 'instance' : 'volume', id: `${project}/${scope}/${location}/${type}/${name}` };
}

function fromName(text: string): ResourceKey | null {
  const trimmed = text.trim();
  const relative = trimmed
    .replace(/^\/\/compute\.googleapis\.com\//, '')
    .replace(/^https:\/\/(?:www|compute)\.googleapis\.com\/compute\/(?:v1|beta|alpha)\//, '');
  return fromRelative(relative);
}

export const gcp: ProviderIds = {
  provider: 'gcp',
  fromCluster(id) {
    const node = /^gce:\/\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(id.trim());
    if (node) return fromRelative(`projects/${node[1]}/zones/${node[2]}/instances/${node[3]}`);
    return fromName(id);
  },
  fromBill(resourceId) {
    return fromName(resourceId);
  },
};

import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

export const ROOT = path.join(__dirname, '..', '..');
export const KUBERNETES_DIR = path.join(ROOT, 'deploy', 'kubernetes');

/** A Kubernetes object as written in a manifest (only the fields the checks read are typed). */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any; // each kind has its own spec; the checks read it as data
  data?: Record<string, string>;
}

export interface ManifestDoc {
  file: string;
  object: K8sObject;
}

/** Every object of every manifest file (the kustomization itself excluded). */
export function loadManifests(dir = KUBERNETES_DIR): ManifestDoc[] {
  return manifestFiles(dir).flatMap((file) =>
    YAML.parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8')).flatMap((doc) => {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
      const object = doc.toJS() as K8sObject | null;
      return object ? [{ file, object }] : [];
    }),
  );
}

export function manifestFiles(dir = KUBERNETES_DIR): string[] {
  return fs
    .readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name) && name !== 'kustomization.yaml')
    .sort();
}

/** The pod template of a workload (Deployment, StatefulSet, Job), or undefined for other kinds. */
export function podSpecOf(object: K8sObject): any | undefined {
  return ['Deployment', 'StatefulSet', 'Job'].includes(object.kind) ? object.spec?.template?.spec : undefined;
}

export function podLabelsOf(object: K8sObject): Record<string, string> {
  return object.spec?.template?.metadata?.labels ?? {};
}

/** matchLabels semantics (the manifests use no matchExpressions; a check refuses them). */
export function selects(selector: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] } | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false;
  if (selector.matchExpressions?.length) throw new Error('matchExpressions are not evaluated by these checks');
  return Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
}

import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import YAML from 'yaml';
import { loadCommonConfig } from '../../lib/config/common';
import type { ListenConfig } from '../../lib/config/listen';
import { parseDuration } from '../../lib/config/env';
import { loadGatewayConfig } from '../../gateway/config';
import { loadIngestConfig } from '../../ingest/config';
import { loadExpensesConfig } from '../../subgraphs/expenses/config';
import { loadKubecostConfig } from '../../subgraphs/kubecost/config';
import { SCHEMA_WAIT_MS } from '../../cli/service-database';
import { createScratchPglite } from '../../dev/scratch-databases';
import type { PgliteDatabase } from '../../lib/db/pglite';
import { startTestStack, type TestStack } from '../helpers/stack';
import { KUBERNETES_DIR, loadManifests, manifestFiles, podLabelsOf, podSpecOf, ROOT, selects, type K8sObject } from '../helpers/manifests';

/*
 * The deployment files cannot be run here (no cluster, kustomize, Docker or Thanos binary), so
 * they are checked against what they must agree with: the Kubernetes API schemas, the
 * services' own config loaders and routes, and each other (Service ports, selectors, network
 * policies, Thanos flags).
 */

type Env = Record<string, string>;
type Loader = (env: Env) => object;

const docs = loadManifests();
const objects = docs.map((d) => d.object);
const PACKAGE_VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** What each costgraph process reads: `serve <service>` and `migrate` load the common config first. */
const LOADERS: Record<string, Loader> = {
  ingest: (env) => ({ ...loadCommonConfig(env), ...loadIngestConfig(env) }),
  gateway: (env) => loadGatewayConfig(env),
  expenses: (env) => loadExpensesConfig(env),
  kubecost: (env) => loadKubecostConfig(env),
  migrate: (env) => loadCommonConfig(env),
};

/** Stand-ins for the Secrets the operator creates; the loaders must accept their shape. */
const SECRET_VALUES: Record<string, string> = {
  'costgraph-database/url': 'postgres://costgraph@postgres.example.internal:5432/costgraph?sslmode=require',
  'costgraph-database/migrate-url': 'postgres://costgraph_owner@postgres.example.internal:5432/costgraph?sslmode=require',
  'costgraph-internal-auth/secret': 'a'.repeat(64),
};
const OBJECT_STORAGE_SECRET = 'thanos-objstore';

const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
const named = (kind: string, name: string): K8sObject => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in deploy/kubernetes`);
  return found;
};
const workloads = () => objects.filter((o) => podSpecOf(o));
const containersOf = (o: K8sObject): any[] => podSpecOf(o)?.containers ?? [];

/** costgraph's own containers: the service (or `migrate`) each runs, and its env as the process sees it. */
function costgraphContainers() {
  return workloads().flatMap((workload) =>
    containersOf(workload)
      .filter((c) => String(c.image).startsWith('costgraph:'))
      .map((container) => {
        const args: string[] = container.args ?? [];
        const service = args[0] === 'serve' ? args[1] : args[0];
        const env: Env = {};
        for (const variable of container.env ?? []) {
          if (variable.value !== undefined) env[variable.name] = String(variable.value);
          else if (variable.valueFrom?.secretKeyRef) {
            const ref = variable.valueFrom.secretKeyRef;
            const value = SECRET_VALUES[`${ref.name}/${ref.key}`];
            if (value === undefined) throw new Error(`${workload.metadata.name}: ${variable.name} refers to an unknown secret key ${ref.name}/${ref.key}`);
            env[variable.name] = value;
          } else throw new Error(`${workload.metadata.name}: ${variable.name} has neither a value nor a secretKeyRef`);
        }
        return { workload, container, service, env };
      }),
  );
}

/** Which variables a loader reads, by watching it read an environment. */
function variablesRead(loader: Loader, env: Env): Set<string> {
  const read = new Set<string>();
  const watched = new Proxy(env, {
    get(target, key) {
      if (typeof key === 'string') read.add(key);
      return Reflect.get(target, key);
    },
  });
  loader(watched);
  return read;
}

/** A URL's in-cluster Service (`<name>.<namespace>.svc.cluster.local` or `<name>`) and the pods behind its port. */
function resolveServiceUrl(url: string) {
  const parsed = new URL(url);
  const [name, namespace = 'costgraph'] = parsed.hostname.replace(/\.svc\.cluster\.local$/, '').split('.');
  const service = named('Service', name);
  expect(namespace).toBe(service.metadata.namespace);
  const port = (service.spec.ports as any[]).find((p) => p.port === Number(parsed.port));
  if (!port) throw new Error(`${url}: Service ${name} has no port ${parsed.port}`);
  const backends = workloads().filter((w) => selects({ matchLabels: service.spec.selector }, podLabelsOf(w)));
  expect(backends).toHaveLength(1);
  const containerPort = containersOf(backends[0])
    .flatMap((c) => c.ports ?? [])
    .find((p: any) => (typeof port.targetPort === 'string' ? p.name === port.targetPort : p.containerPort === port.targetPort));
  if (!containerPort) throw new Error(`${url}: Service ${name} targets ${port.targetPort}, which no container of ${backends[0].metadata.name} declares`);
  return { service, workload: backends[0], containerPort: containerPort as { name: string; containerPort: number }, path: parsed.pathname };
}

/** Whether the NetworkPolicies admit a peer (`peerMatches` says which `from` entries name it) to `to`'s pods on the named port. */
function admitted(to: K8sObject, portName: string, peerMatches: (peer: any) => boolean): boolean {
  const containerPorts = containersOf(to).flatMap((c) => c.ports ?? []);
  const number = containerPorts.find((p: any) => p.name === portName)?.containerPort;
  if (number === undefined) throw new Error(`${to.metadata.name} has no port ${portName}`);
  const policies = byKind('NetworkPolicy').filter((p) => selects(p.spec.podSelector, podLabelsOf(to)) && (p.spec.policyTypes ?? ['Ingress']).includes('Ingress'));
  expect(policies.length).toBeGreaterThan(0);
  return policies.some((policy) =>
    (policy.spec.ingress ?? []).some((rule: any) => {
      const portOk = !rule.ports || rule.ports.some((p: any) => p.port === portName || p.port === number);
      return portOk && (!rule.from || rule.from.some(peerMatches));
    }),
  );
}

/** Whether the NetworkPolicies let pods labelled `from` (same namespace) reach `to`'s pods on the named port. */
function allowed(from: K8sObject, to: K8sObject, portName: string): boolean {
  // Same-namespace peers: a podSelector alone (a namespaceSelector would name another namespace).
  return admitted(to, portName, (peer) => !peer.namespaceSelector && !!peer.podSelector && selects(peer.podSelector, podLabelsOf(from)));
}

/** A pod of another namespace: that namespace's labels and its own. */
interface Outsider {
  namespace: Record<string, string>;
  pod: Record<string, string>;
}

/** Whether the NetworkPolicies let a pod of another namespace reach `to`'s pods on the named port. */
function allowedFromOutside(from: Outsider, to: K8sObject, portName: string): boolean {
  return admitted(to, portName, (peer) => !!peer.namespaceSelector && selects(peer.namespaceSelector, from.namespace) && (!peer.podSelector || selects(peer.podSelector, from.pod)));
}

const outsider = (namespace: string, app: string): Outsider => ({ namespace: { 'kubernetes.io/metadata.name': namespace }, pod: { 'app.kubernetes.io/name': app } });
/** The cluster's Prometheus, as docs/deploy.md asks operators to label it. */
const PROMETHEUS = outsider('monitoring', 'prometheus');
const INGRESS_CONTROLLER = outsider('ingress-nginx', 'ingress-nginx');

function flagValue(args: string[], flag: string): string | undefined {
  const found = args.find((a) => a.startsWith(`${flag}=`));
  return found?.slice(flag.length + 1);
}

function durationMs(text: string | undefined): number {
  const ms = text === undefined ? undefined : parseDuration(text);
  if (ms === undefined) throw new Error(`not a duration: ${text}`);
  return ms;
}

describe('Kubernetes manifests', () => {
  it('kustomization.yaml lists exactly the manifest files present', () => {
    const kustomization = YAML.parse(fs.readFileSync(path.join(KUBERNETES_DIR, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    expect([...kustomization.resources].sort()).toEqual(manifestFiles());
  });

  it('every object validates against the Kubernetes API schema of its kind', () => {
    expect(objects.length).toBeGreaterThan(30);
    for (const { file, object } of docs) {
      const group = object.apiVersion.includes('/') ? object.apiVersion : `v1`;
      // The module is chosen by the object's apiVersion.
      const models = require(`kubernetes-models/${group}`) as Record<string, new (data: unknown) => { validate(): void }>;
      const Model = models[object.kind];
      if (!Model) throw new Error(`${file}: no schema for ${object.apiVersion} ${object.kind}`);
      try {
        new Model(object).validate();
      } catch (error) {
        throw new Error(`${file}: ${object.kind} ${object.metadata.name}: ${(error as Error).message}`);
      }
    }
  });

  it('no object has a field its kind does not define (checked by the TypeScript types of the same schemas)', () => {
    // kubernetes-models' validators accept unknown fields (the API server drops them silently,
    // so a misspelt `readOnlyRootFileSystem` would pass); its TypeScript types do not.
    fs.mkdirSync(path.join(ROOT, '.tmp'), { recursive: true });
    const dir = fs.mkdtempSync(path.join(ROOT, '.tmp', 'manifest-types-'));
    try {
      const lines = docs.map(({ object }, i) => {
        const group = object.apiVersion.includes('/') ? object.apiVersion : 'v1';
        return `export const object${i}: import('kubernetes-models/${group}').I${object.kind} = ${JSON.stringify(object)};`;
      });
      const file = path.join(dir, 'manifests.ts');
      fs.writeFileSync(file, lines.join('\n'));
      const program = ts.createProgram([file], {
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        module: ts.ModuleKind.Node16,
        moduleResolution: ts.ModuleResolutionKind.Node16,
        types: [],
      });
      const problems = ts.getPreEmitDiagnostics(program).map((d) => {
        const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
        const where = line >= 0 ? `${docs[line].file} ${docs[line].object.kind} ${docs[line].object.metadata.name}` : '';
        return `${where}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n').slice(0, 400)}`;
      });
      expect(problems).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('every image is pinned by exact tag and digest; costgraph runs the version of this checkout', () => {
    const images = workloads().flatMap((w) => [...containersOf(w), ...(podSpecOf(w).initContainers ?? [])].map((c) => String(c.image)));
    expect(images.length).toBeGreaterThan(6);
    for (const image of images) expect(image).toMatch(/^[a-z0-9][a-z0-9./_-]*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}@sha256:[0-9a-f]{64}$/);
    for (const image of images.filter((i) => i.startsWith('costgraph:'))) expect(image.split('@')[0]).toBe(`costgraph:${PACKAGE_VERSION}`);
    for (const image of images) expect(image).not.toMatch(/:latest@/);
  });

  it('costgraph containers set only variables their config loader reads, with values it accepts', () => {
    const containers = costgraphContainers();
    expect(containers.map((c) => c.service).sort()).toEqual(['expenses', 'gateway', 'ingest', 'kubecost', 'migrate']);
    for (const { workload, service, env } of containers) {
      const loader = LOADERS[service];
      expect(() => loader(env)).not.toThrow();
      const read = variablesRead(loader, env);
      const unread = Object.keys(env).filter((name) => !read.has(name));
      expect({ workload: workload.metadata.name, unread }).toEqual({ workload: workload.metadata.name, unread: [] });
    }
  });

  it('each service listens where its Service, probes and port declarations say', () => {
    for (const { workload, container, service, env } of costgraphContainers()) {
      if (service === 'migrate') continue;
      const config = LOADERS[service](env) as ListenConfig;
      const ports = Object.fromEntries((container.ports as any[]).map((p) => [p.name, p.containerPort]));
      expect([service, ports]).toEqual([service, { http: config.port, internal: config.internalPort }]);
      // Reachable from other pods (the kubelet, Prometheus): the loaders default to 127.0.0.1.
      expect([service, config.host, config.internalHost]).toEqual([service, '0.0.0.0', '0.0.0.0']);
      // Readiness is only on the internal port; liveness proves the public listener answers.
      expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'internal' });
      expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(container.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
      // The startup probe must outlast `serve`'s wait for the migration Job, or the pod is
      // restarted while it waits.
      expect(container.startupProbe.periodSeconds * container.startupProbe.failureThreshold * 1000).toBeGreaterThan(SCHEMA_WAIT_MS);
      const svc = named('Service', workload.metadata.name);
      expect(svc.spec.ports).toEqual([
        { name: 'http', port: config.port, targetPort: 'http' },
        { name: 'internal', port: config.internalPort, targetPort: 'internal' },
      ]);
      expect(selects({ matchLabels: svc.spec.selector }, podLabelsOf(workload))).toBe(true);
      // Prometheus scrapes the internal port, never the public one.
      const annotations = workload.spec.template.metadata.annotations;
      expect([service, annotations['prometheus.io/port'], annotations['prometheus.io/path']]).toEqual([service, String(config.internalPort), '/metrics']);
      expect(annotations['prometheus.io/port']).not.toBe(String(config.port));
    }
  });

  it('service-to-service URLs point at the right Service, port and pods', () => {
    const env = Object.fromEntries(costgraphContainers().map((c) => [c.service, c.env]));
    const receive = resolveServiceUrl(env.ingest.THANOS_RECEIVE_URL);
    expect([receive.workload.metadata.name, receive.containerPort.name, receive.path]).toEqual(['thanos-receive', 'remote-write', '/api/v1/receive']);
    expect(receive.containerPort.containerPort).toBe(Number(flagValue(containersOf(receive.workload)[0].args, '--remote-write.address')?.split(':')[1]));
    const query = resolveServiceUrl(env.kubecost.THANOS_QUERY_URL);
    expect([query.workload.metadata.name, query.containerPort.name]).toEqual(['thanos-query', 'http']);
    expect(query.containerPort.containerPort).toBe(Number(flagValue(containersOf(query.workload)[0].args, '--http-address')?.split(':')[1]));
    for (const subgraph of ['expenses', 'kubecost'] as const) {
      const target = resolveServiceUrl(env.gateway[`${subgraph.toUpperCase()}_URL`]);
      expect([target.workload.metadata.name, target.path, target.containerPort.containerPort]).toEqual([subgraph, '/graphql', (LOADERS[subgraph](env[subgraph]) as { port: number }).port]);
    }
  });

  it('the public URLs are the Ingresses, over TLS, routing only the public paths', () => {
    const ingest = named('Ingress', 'ingest');
    const publicUrl = new URL(costgraphContainers().find((c) => c.service === 'expenses')!.env.PUBLIC_INGEST_URL);
    expect(publicUrl.protocol).toBe('https:');
    expect(ingest.spec.tls.flatMap((t: any) => t.hosts)).toContain(publicUrl.hostname);
    const paths = ingest.spec.rules.flatMap((r: any) => r.http.paths);
    expect(paths.map((p: any) => p.path).sort()).toEqual(['/api/v1/write', '/storage/api/v2/write']);
    expect(paths.map((p: any) => p.path)).toContain(publicUrl.pathname);
    for (const p of paths) expect([p.pathType, p.backend.service.name, p.backend.service.port.name]).toEqual(['Exact', 'ingest', 'http']);
    // No Ingress reaches an internal port.
    const backends = byKind('Ingress').flatMap((i) => i.spec.rules.flatMap((r: any) => r.http.paths.map((p: any) => p.backend.service.port)));
    expect(backends.length).toBeGreaterThan(2);
    for (const port of backends) expect(port).toEqual({ name: 'http' });
    // The body limit the proxy enforces must let through what ingest itself accepts.
    const proxyLimit = ingest.metadata.annotations!['nginx.ingress.kubernetes.io/proxy-body-size'];
    const ingestConfig = LOADERS.ingest(costgraphContainers().find((c) => c.service === 'ingest')!.env) as ReturnType<typeof loadIngestConfig>;
    expect(Number(proxyLimit.replace(/m$/, '')) * 1024 * 1024).toBeGreaterThanOrEqual(ingestConfig.maxBodyBytes);
    const gateway = named('Ingress', 'gateway');
    // The same for the bills uploaded through the gateway, streamed rather than buffered.
    const gatewayConfig = LOADERS.gateway(costgraphContainers().find((c) => c.service === 'gateway')!.env) as ReturnType<typeof loadGatewayConfig>;
    expect(Number(gateway.metadata.annotations!['nginx.ingress.kubernetes.io/proxy-body-size'].replace(/m$/, '')) * 1024 * 1024).toBeGreaterThanOrEqual(gatewayConfig.importMaxBytes);
    expect(gateway.metadata.annotations!['nginx.ingress.kubernetes.io/proxy-request-buffering']).toBe('off');
    for (const rule of gateway.spec.rules) expect(gateway.spec.tls.flatMap((t: any) => t.hosts)).toContain(rule.host);
  });

  it('secrets are referenced, never inlined', () => {
    expect(byKind('Secret')).toEqual([]);
    const referenced = new Set<string>();
    for (const w of workloads()) {
      for (const c of containersOf(w)) for (const v of c.env ?? []) if (v.valueFrom?.secretKeyRef) referenced.add(v.valueFrom.secretKeyRef.name);
      for (const v of podSpecOf(w).volumes ?? []) if (v.secret) referenced.add(v.secret.secretName);
      // Nothing that looks like a credential is written as a plain value.
      for (const c of containersOf(w)) for (const v of c.env ?? []) if (/(SECRET|PASSWORD|DATABASE_URL)$/.test(v.name)) expect(v.value).toBeUndefined();
    }
    expect([...referenced].sort()).toEqual(['costgraph-database', 'costgraph-internal-auth', OBJECT_STORAGE_SECRET]);
    for (const c of costgraphContainers()) {
      if (c.service !== 'ingest' && c.service !== 'migrate') expect(Object.keys(c.env)).toEqual(expect.arrayContaining(['DATABASE_URL', 'INTERNAL_AUTH_SECRET']));
    }
  });

  it('pods run as non-root on a read-only root filesystem, with requests and limits', () => {
    for (const w of workloads()) {
      const pod = podSpecOf(w);
      expect([w.metadata.name, pod.securityContext.runAsNonRoot]).toEqual([w.metadata.name, true]);
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      expect(pod.automountServiceAccountToken).toBe(false);
      for (const c of containersOf(w)) {
        expect([w.metadata.name, c.securityContext]).toEqual([
          w.metadata.name,
          expect.objectContaining({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }),
        ]);
        for (const side of ['requests', 'limits']) expect([w.metadata.name, side, Object.keys(c.resources[side]).sort()]).toEqual([w.metadata.name, side, ['cpu', 'memory']]);
      }
    }
  });

  it('every costgraph Deployment has a disruption budget; ingest and gateway autoscale', () => {
    for (const d of byKind('Deployment')) {
      const budgets = byKind('PodDisruptionBudget').filter((p) => selects(p.spec.selector, podLabelsOf(d)));
      expect([d.metadata.name, budgets.length]).toEqual([d.metadata.name, 1]);
    }
    const scaled = byKind('HorizontalPodAutoscaler').map((h) => `${h.spec.scaleTargetRef.kind}/${h.spec.scaleTargetRef.name}`);
    expect(scaled.sort()).toEqual(['Deployment/gateway', 'Deployment/ingest']);
    for (const h of byKind('HorizontalPodAutoscaler')) {
      named('Deployment', h.spec.scaleTargetRef.name);
      expect(h.spec.minReplicas).toBeGreaterThanOrEqual(2);
    }
  });

  it('network policies: subgraphs only from the gateway, internal ports only from the cluster\'s Prometheus, Receive writes only from ingest, Receive gRPC from Query and its peers', () => {
    const w = (name: string) => workloads().find((o) => o.metadata.name === name)!;
    const everyone = workloads();
    for (const subgraph of ['expenses', 'kubecost']) {
      const callers = everyone.filter((from) => allowed(from, w(subgraph), 'http')).map((o) => o.metadata.name);
      expect([subgraph, callers]).toEqual([subgraph, ['gateway']]);
    }
    expect(everyone.filter((from) => allowed(from, w('thanos-receive'), 'remote-write')).map((o) => o.metadata.name)).toEqual(['ingest']);
    expect(everyone.filter((from) => allowed(from, w('thanos-receive'), 'grpc')).map((o) => o.metadata.name).sort()).toEqual(['thanos-query', 'thanos-receive']);
    expect(everyone.filter((from) => allowed(from, w('thanos-query'), 'http')).map((o) => o.metadata.name)).toEqual(['kubecost']);
    expect(everyone.filter((from) => allowed(from, w('thanos-store'), 'grpc')).map((o) => o.metadata.name)).toEqual(['thanos-query']);
    // Nothing in the namespace calls the public services directly; the ingress controller does.
    for (const name of ['ingest', 'gateway']) expect(everyone.filter((from) => allowed(from, w(name), 'http'))).toEqual([]);
    // Internal ports (metrics name tenants): the cluster's Prometheus only, which reaches no public port.
    for (const name of ['ingest', 'gateway', 'expenses', 'kubecost']) {
      expect([name, everyone.filter((from) => allowed(from, w(name), 'internal'))]).toEqual([name, []]);
      expect([name, allowedFromOutside(PROMETHEUS, w(name), 'internal'), allowedFromOutside(PROMETHEUS, w(name), 'http')]).toEqual([name, true, false]);
      expect([name, allowedFromOutside(INGRESS_CONTROLLER, w(name), 'internal'), allowedFromOutside(outsider('monitoring', 'grafana'), w(name), 'internal')]).toEqual([name, false, false]);
    }
    for (const name of ['ingest', 'gateway']) expect([name, allowedFromOutside(INGRESS_CONTROLLER, w(name), 'http')]).toEqual([name, true]);
    // Everything else is denied by default.
    const deny = named('NetworkPolicy', 'default-deny-ingress');
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress'] });
  });

  it('Thanos: tenancy flags, replication factor 3 over a hashring of its replicas, an out-of-order window covering INGEST_MAX_SAMPLE_AGE', () => {
    const receive = named('StatefulSet', 'thanos-receive');
    const args: string[] = containersOf(receive)[0].args;
    expect(args[0]).toBe('receive');
    expect(flagValue(args, '--receive.tenant-header')).toBe('THANOS-TENANT');
    expect(flagValue(args, '--receive.tenant-label-name')).toBe('tenant_id');
    expect(flagValue(args, '--receive.replication-factor')).toBe('3');
    expect(receive.spec.replicas).toBeGreaterThanOrEqual(3);

    const ingest = costgraphContainers().find((c) => c.service === 'ingest')!;
    const maxSampleAgeMs = (LOADERS.ingest(ingest.env) as ReturnType<typeof loadIngestConfig>).maxSampleAgeMs;
    const window = durationMs(flagValue(args, '--tsdb.out-of-order.time-window'));
    expect(window).toBeGreaterThanOrEqual(maxSampleAgeMs);
    // Blocks of backfilled data must outlive local retention until they are uploaded.
    expect(durationMs(flagValue(args, '--tsdb.retention'))).toBeGreaterThanOrEqual(window);

    // The hashring names exactly the StatefulSet's pods, at their gRPC port.
    const hashringFile = flagValue(args, '--receive.hashrings-file')!;
    const mount = containersOf(receive)[0].volumeMounts.find((m: any) => hashringFile.startsWith(`${m.mountPath}/`));
    const volume = podSpecOf(receive).volumes.find((v: any) => v.name === mount.name);
    const hashring = JSON.parse(named('ConfigMap', volume.configMap.name).data![path.basename(hashringFile)]) as Array<{ endpoints: string[] }>;
    const headless = receive.spec.serviceName;
    expect(named('Service', headless).spec.clusterIP).toBe('None');
    const grpcPort = containersOf(receive)[0].ports.find((p: any) => p.name === 'grpc').containerPort;
    expect(hashring.flatMap((h) => h.endpoints)).toEqual(
      Array.from({ length: receive.spec.replicas }, (_, i) => `${receive.metadata.name}-${i}.${headless}.costgraph.svc.cluster.local:${grpcPort}`),
    );
    expect(flagValue(args, '--receive.local-endpoint')).toBe(`$(POD_NAME).${headless}.$(NAMESPACE).svc.cluster.local:${grpcPort}`);

    // Query and the compactor merge the replicas' copies by the label Receive adds.
    const replicaLabel = flagValue(args, '--label')!.split('=')[0];
    expect(flagValue(containersOf(named('Deployment', 'thanos-query'))[0].args, '--query.replica-label')).toBe(replicaLabel);
    const compact: string[] = containersOf(named('StatefulSet', 'thanos-compact'))[0].args;
    expect(flagValue(compact, '--deduplication.replica-label')).toBe(replicaLabel);
    expect(compact).toContain('--compact.enable-vertical-compaction');
    expect(named('StatefulSet', 'thanos-compact').spec.replicas).toBe(1);
    const queryEndpoints = containersOf(named('Deployment', 'thanos-query'))[0].args.filter((a: string) => a.startsWith('--endpoint='));
    expect(queryEndpoints).toEqual([
      `--endpoint=dnssrv+_grpc._tcp.${headless}.costgraph.svc.cluster.local`,
      '--endpoint=dnssrv+_grpc._tcp.thanos-store.costgraph.svc.cluster.local',
    ]);

    // Every component that reads the bucket gets its config from the Secret, not from a literal.
    for (const [kind, name] of [['StatefulSet', 'thanos-receive'], ['StatefulSet', 'thanos-store'], ['StatefulSet', 'thanos-compact']]) {
      const o = named(kind, name);
      const file = flagValue(containersOf(o)[0].args, '--objstore.config-file')!;
      const m = containersOf(o)[0].volumeMounts.find((v: any) => file.startsWith(`${v.mountPath}/`));
      expect(podSpecOf(o).volumes.find((v: any) => v.name === m.name).secret.secretName).toBe(OBJECT_STORAGE_SECRET);
    }
  });

  it('the migration Job runs `migrate` once and is replaced by the next release', () => {
    const job = named('Job', 'costgraph-migrate');
    expect(containersOf(job)[0].args[0]).toBe('migrate');
    expect(podSpecOf(job).restartPolicy).toBe('Never');
    expect(job.spec.ttlSecondsAfterFinished).toBeGreaterThan(0);
  });
});

describe('probe paths are answered by the real servers', () => {
  let db: PgliteDatabase;
  let stack: TestStack;

  beforeAll(async () => {
    db = await createScratchPglite();
    stack = await startTestStack(db);
  });

  afterAll(async () => {
    await stack?.stop();
    await db?.close();
  });

  /** Each service's origin by container port name: `http` the public listener, `internal` the other. */
  const origins = (service: string): Record<string, string> => {
    const running = stack[service as 'ingest' | 'gateway' | 'expenses' | 'kubecost'];
    return { http: new URL(running.url).origin, internal: running.internalUrl };
  };

  it('each service answers its readiness and liveness paths with 200, on the port each probe names', async () => {
    const probed = costgraphContainers().filter((c) => c.service !== 'migrate');
    expect(probed).toHaveLength(4);
    for (const { service, container } of probed) {
      for (const probe of [container.readinessProbe, container.livenessProbe, container.startupProbe]) {
        const { path: probePath, port } = probe.httpGet;
        const response = await fetch(`${origins(service)[port]}${probePath}`);
        expect([service, probePath, port, response.status]).toEqual([service, probePath, port, 200]);
      }
    }
  });

  it('the scrape target (annotated port and path) serves metrics on the internal listener; the public port answers 404 there and for /readyz', async () => {
    for (const { workload, service, container } of costgraphContainers().filter((c) => c.service !== 'migrate')) {
      const annotations = workload.spec.template.metadata.annotations;
      const portName = (container.ports as any[]).find((p) => String(p.containerPort) === annotations['prometheus.io/port']).name;
      expect([service, portName]).toEqual([service, 'internal']);
      const scraped = await fetch(`${origins(service).internal}${annotations['prometheus.io/path']}`);
      expect([service, scraped.status, await scraped.text()]).toEqual([service, 200, expect.stringMatching(/^# HELP /m)]);
      for (const internalPath of [annotations['prometheus.io/path'], container.readinessProbe.httpGet.path]) {
        expect([service, internalPath, (await fetch(`${origins(service).http}${internalPath}`)).status]).toEqual([service, internalPath, 404]);
      }
    }
  });
});

describe('Dockerfile', () => {
  const text = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const args = Object.fromEntries(lines.filter((l) => /^ARG \w+=/.test(l)).map((l) => l.slice(4).split(/=(.*)/s).slice(0, 2)));
  const stages = lines.reduce<string[][]>((all, line) => {
    if (line.startsWith('FROM ')) all.push([line]);
    else if (all.length) all[all.length - 1].push(line);
    return all;
  }, []);
  const final = stages[stages.length - 1];

  it('every base image is node:20-bookworm-slim pinned by exact tag and digest', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) {
      const image = stage[0].split(/\s+/)[1].replace(/^\$\{(\w+)\}$/, (_, name: string) => args[name]);
      expect(image).toMatch(/^node:20\.\d+\.\d+-bookworm-slim@sha256:[0-9a-f]{64}$/);
    }
  });

  it('the build stage runs the same build script as the tests; the image starts the same entry', () => {
    const build = stages.slice(0, -1).flat();
    expect(build).toContain('RUN npm ci --no-audit --no-fund');
    expect(build).toContain('RUN npm run build');
    expect(final.find((l) => l.startsWith('ENTRYPOINT'))).toBe('ENTRYPOINT ["node", "dist/cli/main.js"]');
  });

  it('the final stage installs no dev dependencies, copies no sources, tests or dev tools, and runs as a non-root user', () => {
    const installs = final.filter((l) => /\bnpm (ci|install|i)\b/.test(l));
    expect(installs.length).toBe(1);
    for (const l of installs) expect(l).toMatch(/npm ci --omit=dev\b/);
    const copies = final.filter((l) => /^(COPY|ADD) /.test(l));
    for (const copy of copies) {
      const sources = copy.split(/\s+/).filter((w) => !w.startsWith('--')).slice(1, -1);
      for (const source of sources) expect(['package.json', 'package-lock.json', '/src/dist']).toContain(source);
    }
    expect(final.filter((l) => l.startsWith('COPY --from=')).every((l) => l.includes(' /src/dist '))).toBe(true);
    const user = final.filter((l) => l.startsWith('USER ')).pop();
    expect(user).toMatch(/^USER [1-9]\d*(:[1-9]\d*)?$/);
    // The image's user is the one the manifests enforce runAsNonRoot with.
    const uid = Number(user!.split(/[ :]/)[1]);
    for (const c of costgraphContainers()) expect(podSpecOf(c.workload).securityContext.runAsUser).toBe(uid);
  });

  it('.dockerignore keeps tests, benchmarks and local data out of the build context', () => {
    const ignore = fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    expect(ignore).toContain('*');
    const included = ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/$/, ''));
    for (const excluded of ['test', 'bench', 'data', 'node_modules', 'dist', 'docs']) expect(included).not.toContain(excluded);
    // The dashboard's sources are built in the image; a local build of them stays out.
    expect(ignore).toContain('dashboard/dist');
  });
});

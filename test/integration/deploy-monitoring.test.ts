import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { createScratchPglite } from '../../dev/scratch-databases';
import type { PgliteDatabase } from '../../lib/db/pglite';
import { startTestStack, type TestStack } from '../helpers/stack';
import { ROOT } from '../helpers/manifests';

/*
 * The alert rules and the Grafana dashboard are checked the way Prometheus and Grafana will
 * read them: promtool parses and unit-tests the rules, every dashboard expression is parsed
 * by promtool too, and every metric either names is one the services really export (scraped
 * from their internal listeners' /metrics, not read from the source).
 */

const MONITORING = path.join(ROOT, 'deploy', 'monitoring');
const PROMTOOL = process.env.PROMTOOL_BIN ?? '/usr/bin/promtool';

/**
 * Metrics the alerts and the dashboard may use before any service exports them, while no
 * service exports any per-cluster status metric (a name matching PENDING_FAMILY). Ingest now
 * exports the per-cluster status, so every name used must be exported exactly and the list is
 * empty.
 */
const PENDING: string[] = [];
const PENDING_FAMILY = /^costgraph_(ingest_)?cluster_(?!data_age)/;

/** Grafana's variables, replaced by what Grafana would send for a typical view. */
const VARIABLES: Record<string, string> = {
  __rate_interval: '5m',
  __interval: '1m',
  __range: '6h',
  namespace: 'costgraph',
  tenant: '.*',
  datasource: 'prometheus',
};

function promtool(args: string[], cwd: string): string {
  try {
    return execFileSync(PROMTOOL, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string };
    throw new Error(`promtool ${args.join(' ')} failed:\n${failure.stdout ?? ''}${failure.stderr ?? ''}`);
  }
}

interface Panel {
  title: string;
  type: string;
  panels?: Panel[];
  targets?: Array<{ expr: string }>;
}

function dashboardExpressions(): Array<{ panel: string; expr: string }> {
  const dashboard = JSON.parse(fs.readFileSync(path.join(MONITORING, 'grafana', 'costgraph.json'), 'utf8')) as { panels: Panel[] };
  const walk = (panels: Panel[]): Array<{ panel: string; expr: string }> =>
    panels.flatMap((p) => [...(p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })), ...walk(p.panels ?? [])]);
  return walk(dashboard.panels);
}

function substitute(expr: string): string {
  return expr.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const value = VARIABLES[(braced ?? bare)!];
    if (value === undefined) throw new Error(`unknown dashboard variable ${whole} in ${expr}`);
    return value;
  });
}

function alertExpressions(): Array<{ alert: string; expr: string }> {
  const rules = YAML.parse(fs.readFileSync(path.join(MONITORING, 'alerts.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> };
  return rules.groups.flatMap((g) => g.rules.map((r) => ({ alert: r.alert, expr: r.expr })));
}

/** Metric names in an expression: costgraph's own, and the process metrics every service exports. */
function metricNames(expr: string): string[] {
  return [...new Set(expr.match(/\b(?:costgraph|process|nodejs)_[a-z0-9_]+\b/g) ?? [])];
}

/** Series names a scrape exposes: each family, with its histogram and summary series. */
function exportedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const match of exposition.matchAll(/^# TYPE (\S+) (\w+)$/gm)) {
    const [, name, type] = match;
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(`${name}${suffix}`);
  }
  return names;
}

describe('alert rules', () => {
  it('promtool accepts them', () => {
    expect(promtool(['check', 'rules', 'alerts.yml'], MONITORING)).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('promtool unit tests pass: every alert fires on its input and stays quiet on healthy input', () => {
    expect(promtool(['test', 'rules', 'alerts.test.yml'], MONITORING)).toMatch(/SUCCESS/);
    const tests = YAML.parse(fs.readFileSync(path.join(MONITORING, 'alerts.test.yml'), 'utf8')) as {
      tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts: unknown[] }> }>;
    };
    const cases = tests.tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const { alert } of alertExpressions()) {
      expect([alert, cases.some((c) => c.alertname === alert && c.exp_alerts.length > 0)]).toEqual([alert, true]);
      expect([alert, cases.some((c) => c.alertname === alert && c.exp_alerts.length === 0)]).toEqual([alert, true]);
    }
  });

  it('every alert has a summary and a runbook section in docs/operations.md', () => {
    const operations = fs.readFileSync(path.join(ROOT, 'docs', 'operations.md'), 'utf8');
    const anchors = new Set(
      [...operations.matchAll(/^#{2,4} (.+)$/gm)].map((m) =>
        m[1]
          .trim()
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replace(/ /g, '-'),
      ),
    );
    const rules = YAML.parse(fs.readFileSync(path.join(MONITORING, 'alerts.yml'), 'utf8')) as {
      groups: Array<{ rules: Array<{ alert: string; annotations: { summary?: string; runbook?: string } }> }>;
    };
    for (const rule of rules.groups.flatMap((g) => g.rules)) {
      expect(rule.annotations.summary).toBeTruthy();
      const [file, anchor] = (rule.annotations.runbook ?? '').split('#');
      expect([rule.alert, file, anchors.has(anchor)]).toEqual([rule.alert, 'docs/operations.md', true]);
    }
  });
});

describe('Grafana dashboard', () => {
  it('every expression, with its variables substituted, is valid PromQL', () => {
    const expressions = dashboardExpressions();
    expect(expressions.length).toBeGreaterThan(15);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-dashboard-'));
    try {
      const rules = { groups: [{ name: 'dashboard', rules: expressions.map((e, i) => ({ record: `dashboard:panel_${i}`, expr: substitute(e.expr) })) }] };
      fs.writeFileSync(path.join(dir, 'dashboard.rules.yml'), YAML.stringify(rules));
      expect(promtool(['check', 'rules', 'dashboard.rules.yml'], dir)).toMatch(new RegExp(`SUCCESS: ${expressions.length} rules found`));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('metrics named by the alerts and the dashboard are exported by the services', () => {
  let db: PgliteDatabase;
  let stack: TestStack;
  let exported: Set<string>;

  beforeAll(async () => {
    db = await createScratchPglite();
    stack = await startTestStack(db);
    exported = new Set<string>();
    for (const service of [stack.ingest, stack.gateway, stack.expenses, stack.kubecost]) {
      const response = await fetch(`${service.internalUrl}/metrics`);
      expect(response.status).toBe(200);
      for (const name of exportedNames(await response.text())) exported.add(name);
    }
  });

  afterAll(async () => {
    await stack?.stop();
    await db?.close();
  });

  it('the scrape sees each service\'s own families', () => {
    for (const prefix of ['costgraph_ingest_', 'costgraph_gateway_', 'costgraph_kubecost_']) expect([...exported].some((n) => n.startsWith(prefix))).toBe(true);
  });

  it('every metric is exported, or listed as pending while no per-cluster status metric exists', () => {
    const used = [...dashboardExpressions().map((e) => ({ where: `panel "${e.panel}"`, expr: e.expr })), ...alertExpressions().map((a) => ({ where: `alert ${a.alert}`, expr: a.expr }))];
    const pendingLanded = [...exported].some((name) => PENDING_FAMILY.test(name));
    const missing = used.flatMap(({ where, expr }) =>
      metricNames(expr)
        .filter((name) => !exported.has(name) && (pendingLanded || !PENDING.includes(name)))
        .map((name) => `${where}: ${name}`),
    );
    expect(missing).toEqual([]);
    // Every pending name is really used (a stale entry would hide nothing, but mislead).
    for (const name of PENDING) expect(used.some(({ expr }) => metricNames(expr).includes(name))).toBe(true);
  });
});

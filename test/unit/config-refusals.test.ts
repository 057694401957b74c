import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadCommonConfig } from '../../lib/config/common';
import { ConfigError } from '../../lib/config/env';
import { loadInternalSecret } from '../../lib/internal-auth/secret';
import { loadLocalPrometheusConfig, startLocalPrometheus } from '../../cli/local/local-prometheus';
import { loadIngestConfig } from '../../ingest/config';
import { loadGatewayConfig } from '../../gateway/config';
import { loadExpensesConfig } from '../../subgraphs/expenses/config';
import { loadKubecostConfig } from '../../subgraphs/kubecost/config';

/*
 * Every service validates its environment at start and names the offending variable, so an
 * operator reading one line knows what to fix. The tables below hold at least one refusal per
 * variable a loader reads; a new variable without one fails the coverage check at the end.
 */

const ROOT = path.join(__dirname, '..', '..');
type Env = Record<string, string | undefined>;

const SECRET = 'x'.repeat(32);
let dataDir: string;
beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-config-'));
});
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

/** Settings that let each loader get past everything except the variable under test. */
const base = (): Env => ({ DATA_DIR: dataDir, INTERNAL_AUTH_SECRET: SECRET });

const LOADERS: Record<string, (env: Env) => unknown> = {
  common: loadCommonConfig,
  ingest: loadIngestConfig,
  gateway: loadGatewayConfig,
  expenses: loadExpensesConfig,
  kubecost: loadKubecostConfig,
};

/** [loader, variable, value, what the message says]. */
const REFUSALS: Array<[string, string, string, RegExp]> = [
  // lib/config/common.ts (read by every service; checked through each of them below)
  ['common', 'PUBLIC_INGEST_URL', 'ftp://ingest.example.com/api/v1/write', /expected http\(s\)/],
  ['common', 'PUBLIC_INGEST_URL', 'not a url', /not a URL/],
  ['common', 'LOG_LEVEL', 'verbose', /expected one of fatal, error, warn, info, debug, trace, silent/],
  ['common', 'LOG_LEVEL', 'information', /expected one of/],
  ['common', 'LOG_FORMAT', 'yaml', /expected one of auto, json, pretty/],
  ['common', 'INGEST_STALE_AFTER', 'a while', /expected a duration/],
  ['common', 'INGEST_STALE_AFTER', '0s', /expected a duration between/],
  // ingest/config.ts
  ['ingest', 'INGEST_PORT', '65536', /between 0 and 65535/],
  ['ingest', 'INGEST_PORT', '-1', /between 0 and 65535/],
  ['ingest', 'INGEST_PORT', '80a', /expected an integer/],
  ['ingest', 'INGEST_PORT', '4100.5', /expected an integer/],
  ['ingest', 'INGEST_INTERNAL_PORT', '65536', /between 0 and 65535/],
  ['ingest', 'INGEST_INTERNAL_PORT', '4100', /must differ from the public port 4100/],
  ['ingest', 'THANOS_RECEIVE_URL', 'file:///etc/passwd', /expected http\(s\)/],
  ['ingest', 'THANOS_RECEIVE_URL', '127.0.0.1:9090/api/v1/write', /expected http\(s\)|not a URL/],
  ['ingest', 'INGEST_FORWARD_TIMEOUT', '10 s', /expected a duration/],
  ['ingest', 'INGEST_FORWARD_TIMEOUT', '-5s', /expected a duration/],
  ['ingest', 'INGEST_FORWARD_TIMEOUT', '1.5s', /expected a duration/],
  ['ingest', 'INGEST_FORWARD_TIMEOUT', '10w', /expected a duration/],
  ['ingest', 'INGEST_MAX_BODY_BYTES', '1023', /between 1024 and/],
  ['ingest', 'INGEST_MAX_BODY_BYTES', '16MiB', /expected an integer/],
  ['ingest', 'INGEST_MAX_DECODED_BYTES', '0', /between 1024 and/],
  ['ingest', 'INGEST_MAX_INFLIGHT_BYTES', '1e9', /expected an integer/],
  ['ingest', 'INGEST_SAMPLES_PER_SECOND', '-1', /between 0 and/],
  ['ingest', 'INGEST_SAMPLES_PER_SECOND', '99999999999999999999', /between 0 and/],
  ['ingest', 'INGEST_MAX_SAMPLE_AGE', '35 days', /expected a duration/],
  ['ingest', 'INGEST_MAX_FUTURE', '10min', /expected a duration/],
  ['ingest', 'INGEST_MAX_LABELS', '0', /between 1 and/],
  ['ingest', 'INGEST_MAX_LABEL_NAME_LENGTH', '0', /between 1 and/],
  ['ingest', 'INGEST_MAX_LABEL_VALUE_LENGTH', 'many', /expected an integer/],
  ['ingest', 'INGEST_CREDENTIAL_TTL', 'forever', /expected a duration/],
  ['ingest', 'INGEST_STATUS_FLUSH_INTERVAL', 'often', /expected a duration/],
  ['ingest', 'INGEST_STATUS_FLUSH_INTERVAL', '0s', /expected a duration between/],
  ['ingest', 'INGEST_CLUSTER_METRICS_REFRESH', '1ms', /expected a duration between/],
  // Revocations must reach every replica within a minute at worst; a poll of 1 ms would hammer the database.
  ['ingest', 'INGEST_REVOCATION_POLL', '2m', /expected a duration between/],
  ['ingest', 'INGEST_REVOCATION_POLL', '10ms', /expected a duration between/],
  ['ingest', 'INGEST_AUTH_CONCURRENCY', '0', /between 1 and 64/],
  ['ingest', 'INGEST_AUTH_QUEUE', '-1', /between 0 and/],
  ['ingest', 'INGEST_AUTH_FAILURE_BURST', 'ten', /expected an integer/],
  ['ingest', 'INGEST_AUTH_FAILURES_PER_MINUTE', '0', /between 1 and/],
  ['ingest', 'INGEST_TRUSTED_PROXY_HOPS', '11', /between 0 and 10/],
  // A set but empty allow-list would drop every sample while answering 204.
  ['ingest', 'INGEST_ALLOWED_METRICS', ',', /expected a comma-separated list/],
  // gateway/config.ts
  ['gateway', 'GATEWAY_PORT', '70000', /between 0 and 65535/],
  ['gateway', 'GATEWAY_INTERNAL_PORT', '4000', /must differ from the public port 4000/],
  ['gateway', 'EXPENSES_URL', 'postgres://127.0.0.1:4001/graphql', /expected http\(s\)/],
  ['gateway', 'EXPENSES_URL', 'http//127.0.0.1:4001', /not a URL/],
  ['gateway', 'KUBECOST_URL', 'ws://127.0.0.1:4002/graphql', /expected http\(s\)/],
  ['gateway', 'GRAPHQL_MAX_DEPTH', '0', /between 1 and 100/],
  ['gateway', 'GRAPHQL_MAX_DEPTH', '101', /between 1 and 100/],
  ['gateway', 'GRAPHQL_MAX_ALIASES', '1001', /between 0 and 1000/],
  ['gateway', 'GRAPHQL_MAX_TOKENS', '99', /between 100 and 100000/],
  ['gateway', 'GRAPHQL_MAX_BODY_BYTES', String(16 * 1024 * 1024 + 1), /between 1024 and 16777216/],
  ['gateway', 'GRAPHQL_INTROSPECTION', 'maybe', /expected true or false/],
  ['gateway', 'TOKEN_CACHE_TTL', '61s', /at most 60s/],
  ['gateway', 'TOKEN_CACHE_TTL', '1h', /at most 60s/],
  ['gateway', 'TOKEN_CACHE_TTL', 'half a minute', /expected a duration/],
  ['gateway', 'TOKEN_REVOCATION_POLL', '61s', /expected a duration between/],
  ['gateway', 'TOKEN_VERIFY_CONCURRENCY', '65', /between 1 and 64/],
  ['gateway', 'TOKEN_VERIFY_QUEUE', 'lots', /expected an integer/],
  ['gateway', 'SUBGRAPH_TIMEOUT', '20 seconds', /expected a duration/],
  ['gateway', 'SUBGRAPH_CONNECTIONS', '0', /between 1 and 10000/],
  ['gateway', 'SUBGRAPH_CONNECTIONS', '10001', /between 1 and 10000/],
  ['gateway', 'INTERNAL_AUTH_SECRET', 'short', /at least 32 characters/],
  ['gateway', 'GATEWAY_IMPORT_MAX_BYTES', '512MiB', /expected an integer/],
  ['gateway', 'GATEWAY_IMPORT_MAX_BYTES', '1023', /between 1024 and/],
  ['gateway', 'GATEWAY_IMPORT_TIMEOUT', '2h', /expected a duration between/],
  // subgraphs/expenses/config.ts
  ['expenses', 'EXPENSES_PORT', 'http', /expected an integer/],
  ['expenses', 'EXPENSES_INTERNAL_PORT', 'metrics', /expected an integer/],
  ['expenses', 'EXPENSES_INTERNAL_PORT', '4001', /must differ from the public port 4001/],
  ['expenses', 'INTERNAL_AUTH_SECRET', 'x'.repeat(31), /at least 32 characters/],
  ['expenses', 'EXPENSES_IMPORT_MAX_BYTES', '-5', /between 1024 and/],
  // subgraphs/kubecost/config.ts
  ['kubecost', 'KUBECOST_PORT', '99999', /between 0 and 65535/],
  ['kubecost', 'KUBECOST_INTERNAL_PORT', '-1', /between 0 and 65535/],
  ['kubecost', 'KUBECOST_INTERNAL_PORT', '4002', /must differ from the public port 4002/],
  ['kubecost', 'THANOS_QUERY_URL', 'grpc://thanos-query:10901', /expected http\(s\)/],
  ['kubecost', 'THANOS_QUERY_URL', '::::', /not a URL/],
  ['kubecost', 'KUBECOST_QUERY_TIMEOUT', '15sec', /expected a duration/],
  ['kubecost', 'KUBECOST_IMMUTABLE_AFTER', '10 m', /expected a duration/],
  ['kubecost', 'KUBECOST_RECENT_TTL', '61s', /at most 60s/],
  ['kubecost', 'KUBECOST_RECENT_TTL', '60001', /at most 60s/],
  ['kubecost', 'KUBECOST_RECENT_TTL', '2m', /at most 60s/],
  ['kubecost', 'KUBECOST_DIRECTORY_TTL', '61s', /at most 60s/],
  ['kubecost', 'KUBECOST_CACHE_BYTES', '-1', /between 0 and/],
  ['kubecost', 'KUBECOST_CACHE_BYTES', '64MiB', /expected an integer/],
  ['kubecost', 'KUBECOST_ORGANIZATION_CONCURRENCY', '0', /between 1 and/],
  ['kubecost', 'KUBECOST_QUERY_BUDGET', 'lots', /expected an integer/],
  ['kubecost', 'KUBECOST_QUERY_BUDGET', '0', /between 1 and/],
  ['kubecost', 'KUBECOST_ROLLUP_LOOKBACK', 'daily', /expected a duration/],
  ['kubecost', 'KUBECOST_ROLLUP_LOOKBACK', '60d', /expected a duration between/],
  ['kubecost', 'INTERNAL_AUTH_SECRET', '  short-with-spaces  ', /at least 32 characters/],
];

/**
 * Timeouts end up in timers: 0 switches undici's timeouts off (a hung peer is waited for
 * forever) or aborts every request at once, and anything beyond 2^31-1 ms overflows Node's
 * timers into a 1 ms timeout. Both would fail silently at run time, so they are refused.
 */
const TIMEOUTS: Array<[string, string]> = [
  ['ingest', 'INGEST_FORWARD_TIMEOUT'],
  ['ingest', 'INGEST_BODY_TIMEOUT'],
  ['gateway', 'SUBGRAPH_TIMEOUT'],
  ['gateway', 'GATEWAY_IMPORT_TIMEOUT'],
  ['kubecost', 'KUBECOST_QUERY_TIMEOUT'],
];
for (const [loader, variable] of TIMEOUTS) {
  REFUSALS.push([loader, variable, '0', /between/], [loader, variable, '0s', /between/], [loader, variable, '25d', /between/]);
}

/** Read as any string: nothing about their text can be checked before they are used. */
const ANY_STRING = new Set([
  'DATA_DIR',
  'DATABASE_URL',
  ...['INGEST', 'GATEWAY', 'EXPENSES', 'KUBECOST'].flatMap((service) => [`${service}_HOST`, `${service}_INTERNAL_HOST`]),
  'SUPERGRAPH_FILE',
  'PROMETHEUS_BIN',
]);

function refusal(load: () => unknown): ConfigError {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('the configuration was accepted');
}

describe('configuration refusals', () => {
  it.each(REFUSALS)('%s refuses %s=%j, naming the variable', (loader, variable, value, problem) => {
    const error = refusal(() => LOADERS[loader]({ ...base(), [variable]: value }));
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
    expect(error.message).toMatch(problem);
    // One line: it is what `costgraph` and a service's start print.
    expect(error.message).not.toContain('\n');
  });

  // The services that embed the common settings must refuse them too.
  it.each(['gateway', 'expenses', 'kubecost'])('%s refuses a bad common setting', (loader) => {
    expect(refusal(() => LOADERS[loader]({ ...base(), LOG_LEVEL: 'loud' })).message).toMatch(/^LOG_LEVEL: /);
    expect(refusal(() => LOADERS[loader]({ ...base(), PUBLIC_INGEST_URL: 'mailto:ops@example.com' })).message).toMatch(/^PUBLIC_INGEST_URL: /);
  });

  it('accepts the values the refusals sit next to', () => {
    expect(loadKubecostConfig({ ...base(), KUBECOST_RECENT_TTL: '60s', KUBECOST_DIRECTORY_TTL: '60000', KUBECOST_QUERY_TIMEOUT: '1' }).recentTtlMs).toBe(60_000);
    expect(loadGatewayConfig({ ...base(), TOKEN_CACHE_TTL: '1m', GRAPHQL_INTROSPECTION: 'OFF', SUBGRAPH_TIMEOUT: '24d' })).toMatchObject({ tokenCacheTtlMs: 60_000, introspection: false, subgraphTimeoutMs: 24 * 86_400_000 });
    expect(loadIngestConfig({ ...base(), INGEST_PORT: '0', INGEST_MAX_BODY_BYTES: '1024', INGEST_ALLOWED_METRICS: '*' })).toMatchObject({ port: 0, maxBodyBytes: 1024, allowList: '*' });
    expect(loadCommonConfig({ ...base(), LOG_LEVEL: 'DEBUG', PUBLIC_INGEST_URL: 'https://ingest.example.com/api/v1/write/' })).toMatchObject({ logLevel: 'debug', publicIngestUrl: 'https://ingest.example.com/api/v1/write' });
  });

  it('every service listens on 127.0.0.1 by default, its internal listener on a port of its own; 0 for both is accepted', () => {
    const defaults = Object.fromEntries(
      (['ingest', 'gateway', 'expenses', 'kubecost'] as const).map((name) => {
        const { port, host, internalPort, internalHost } = LOADERS[name](base()) as { port: number; host: string; internalPort: number; internalHost: string };
        return [name, { port, host, internalPort, internalHost }];
      }),
    );
    expect(defaults).toEqual({
      ingest: { port: 4100, host: '127.0.0.1', internalPort: 14100, internalHost: '127.0.0.1' },
      gateway: { port: 4000, host: '127.0.0.1', internalPort: 14000, internalHost: '127.0.0.1' },
      expenses: { port: 4001, host: '127.0.0.1', internalPort: 14001, internalHost: '127.0.0.1' },
      kubecost: { port: 4002, host: '127.0.0.1', internalPort: 14002, internalHost: '127.0.0.1' },
    });
    expect(loadIngestConfig({ ...base(), INGEST_PORT: '0', INGEST_INTERNAL_PORT: '0' })).toMatchObject({ port: 0, internalPort: 0 });
    expect(loadGatewayConfig({ ...base(), GATEWAY_INTERNAL_PORT: '9464', GATEWAY_INTERNAL_HOST: '0.0.0.0' })).toMatchObject({ internalPort: 9464, internalHost: '0.0.0.0' });
  });

  it('the missing Prometheus binary is refused at start, naming PROMETHEUS_BIN', async () => {
    const binary = loadLocalPrometheusConfig({ PROMETHEUS_BIN: path.join(dataDir, 'no-such-prometheus') }).binary;
    await expect(startLocalPrometheus({ binary, dataDir: path.join(dataDir, 'prometheus'), port: 0 })).rejects.toThrow(/no-such-prometheus.*PROMETHEUS_BIN/);
  });

  it('every variable a loader reads has a refusal case (or is a free-form string)', () => {
    const loaders = ['lib/config/common.ts', 'ingest/config.ts', 'gateway/config.ts', 'subgraphs/expenses/config.ts', 'subgraphs/kubecost/config.ts', 'cli/local/local-prometheus.ts', 'lib/internal-auth/secret.ts'];
    const read = new Set<string>();
    for (const file of loaders) {
      const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
      for (const match of text.matchAll(/Var\(env, '([A-Z0-9_]+)'/g)) read.add(match[1]);
      for (const match of text.matchAll(/\benv\.([A-Z0-9_]+)/g)) read.add(match[1]);
    }
    expect(read.size).toBeGreaterThan(40);
    const refused = new Set(REFUSALS.map(([, variable]) => variable));
    expect([...read].filter((variable) => !refused.has(variable) && !ANY_STRING.has(variable))).toEqual([]);
  });
});

describe('INTERNAL_AUTH_SECRET', () => {
  const production = (env: Env) => loadCommonConfig({ DATA_DIR: dataDir, DATABASE_URL: 'postgres://db.example.com/costgraph', ...env });

  it('is required in production mode (DATABASE_URL set), by every service that signs or verifies', () => {
    const env = { DATA_DIR: dataDir, DATABASE_URL: 'postgres://db.example.com/costgraph' };
    for (const load of [loadGatewayConfig, loadExpensesConfig, loadKubecostConfig]) {
      expect(refusal(() => load(env)).message).toBe('INTERNAL_AUTH_SECRET: required when DATABASE_URL is set (production mode)');
      expect(refusal(() => load({ ...env, INTERNAL_AUTH_SECRET: '   ' })).message).toMatch(/^INTERNAL_AUTH_SECRET: required/);
      expect(refusal(() => load({ ...env, INTERNAL_AUTH_SECRET: 'x'.repeat(31) })).message).toMatch(/^INTERNAL_AUTH_SECRET: must be at least 32/);
    }
    // Production never falls back to a generated file, even one that exists.
    const dir = fs.mkdtempSync(path.join(dataDir, 'production-'));
    fs.writeFileSync(path.join(dir, 'internal-auth-secret'), 'y'.repeat(43), { mode: 0o600 });
    expect(() => loadInternalSecret(production({ DATA_DIR: dir }), {})).toThrow(/required when DATABASE_URL/);
    expect(loadInternalSecret(production({}), { INTERNAL_AUTH_SECRET: ` ${SECRET} ` })).toBe(SECRET);
  });

  it('in local mode is generated once under DATA_DIR, readable by its owner only, and reused', () => {
    const dir = fs.mkdtempSync(path.join(dataDir, 'local-'));
    const common = loadCommonConfig({ DATA_DIR: path.join(dir, 'nested') });
    const first = loadInternalSecret(common, {});
    const file = path.join(dir, 'nested', 'internal-auth-secret');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(loadInternalSecret(common, {})).toBe(first);
    // The services of one local stack share it.
    expect(loadGatewayConfig({ DATA_DIR: common.dataDir }).internalSecret).toBe(first);
    expect(loadKubecostConfig({ DATA_DIR: common.dataDir }).internalSecret).toBe(first);
    expect(fs.readdirSync(common.dataDir)).toEqual(['internal-auth-secret']);
  });

  it('in local mode refuses a secret file others can read, naming the file', () => {
    const dir = fs.mkdtempSync(path.join(dataDir, 'wide-'));
    const file = path.join(dir, 'internal-auth-secret');
    fs.writeFileSync(file, 'z'.repeat(43));
    fs.chmodSync(file, 0o644);
    const error = refusal(() => loadInternalSecret(loadCommonConfig({ DATA_DIR: dir }), {}));
    expect(error.message).toMatch(/^INTERNAL_AUTH_SECRET: /);
    expect(error.message).toContain(file);
    expect(error.message).toContain('0644');
  });

  it('in local mode refuses a secret file too short to sign with', () => {
    for (const content of ['', 'short\n']) {
      const dir = fs.mkdtempSync(path.join(dataDir, 'short-'));
      fs.writeFileSync(path.join(dir, 'internal-auth-secret'), content, { mode: 0o600 });
      expect(refusal(() => loadInternalSecret(loadCommonConfig({ DATA_DIR: dir }), {})).message).toMatch(/^INTERNAL_AUTH_SECRET: .*internal-auth-secret.*at least 32/);
    }
  });
});

describe('where the environment is read', () => {
  /** The config loaders take `process.env` as their default; the gateway switches Apollo's telemetry off. */
  const ALLOWED: Array<[string, RegExp]> = [
    ['lib/config/common.ts', /^export function loadCommonConfig\(env: Env = process\.env\)/],
    ['lib/internal-auth/secret.ts', /^export function loadInternalSecret\(common: CommonConfig, env: Record<string, string \| undefined> = process\.env\)/],
    ['ingest/config.ts', /^export function loadIngestConfig\(env: Env = process\.env\)/],
    ['gateway/config.ts', /^export function loadGatewayConfig\(env: Env = process\.env\)/],
    ['subgraphs/expenses/config.ts', /^export function loadExpensesConfig\(env: Env = process\.env\)/],
    ['subgraphs/kubecost/config.ts', /^export function loadKubecostConfig\(env: Env = process\.env\)/],
    ['gateway/server.ts', /^process\.env\.APOLLO_TELEMETRY_DISABLED = '1';$/],
  ];

  function sources(dir: string): string[] {
    return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
      .map((entry) => path.relative(ROOT, path.join(entry.parentPath, entry.name)));
  }

  it('only the config loaders read process.env in lib/ and the services', () => {
    const files = ['lib', 'ingest', 'gateway', 'subgraphs'].flatMap(sources);
    expect(files.length).toBeGreaterThan(50);
    const outside: string[] = [];
    for (const file of files) {
      fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n').forEach((line, index) => {
        if (!line.includes('process.env')) return;
        const allowed = ALLOWED.some(([where, pattern]) => where === file && pattern.test(line.trim()));
        if (!allowed) outside.push(`${file}:${index + 1}: ${line.trim()}`);
      });
    }
    expect(outside).toEqual([]);
  });
});

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { buildSchema, getNamedType, isInputObjectType, isNonNullType, isObjectType, type GraphQLArgument, type GraphQLField } from 'graphql';
import { authenticateToken, createApiToken } from '../../lib/accounts/api-tokens';
import { createKubernetesCluster } from '../../lib/accounts/kubernetes-clusters';
import { createOrganization } from '../../lib/accounts/repository';
import type { Role } from '../../lib/accounts/roles';
import type { Queryable } from '../../lib/db/database';
import { signContext } from '../../lib/internal-auth/signed-context';
import { expectOneLineFailure, runCostgraph } from '../helpers/cli';
import { createPostgresDatabase, type TestDatabase } from '../helpers/databases';
import { callGateway, startTestStack, type TestStack } from '../helpers/stack';
import { callSubgraph } from '../helpers/subgraph-client';

/*
 * Read-only tokens run queries only. Every Mutation field of the client-facing schema is tried,
 * found by walking the schema rather than listed here, so a mutation added later is covered
 * by this test the day it appears.
 */

const API_SCHEMA = buildSchema(fs.readFileSync(path.join(__dirname, '..', '..', 'schema', 'api.graphql'), 'utf8'));
const MUTATIONS = Object.values(API_SCHEMA.getMutationType()?.getFields() ?? {});

/** Everything a mutation could change, as text to compare before and after. */
async function snapshot(db: Queryable): Promise<string> {
  const tables = ['organizations', 'cloud_accounts', 'cluster_credentials', 'api_tokens', 'ingest_status', 'expenses'];
  const rows = await Promise.all(tables.map((table) => db.query(`SELECT to_jsonb(t) AS row FROM ${table} t ORDER BY 1::text`)));
  return JSON.stringify(rows.map((r) => r.map((x) => JSON.stringify((x as { row: unknown }).row)).sort()));
}

/** `mutation($a: T!, ...) { field(a: $a, ...) { __typename } }` with a value for each argument. */
function mutationRequest(field: GraphQLField<unknown, unknown>, value: (arg: GraphQLArgument) => unknown) {
  const args = field.args;
  const declared = args.map((a) => `$${a.name}: ${a.type.toString()}`).join(', ');
  const passed = args.map((a) => `${a.name}: $${a.name}`).join(', ');
  const selection = isObjectType(getNamedType(field.type)) ? ' { __typename }' : '';
  return {
    query: `mutation${declared ? `(${declared})` : ''} { ${field.name}${passed ? `(${passed})` : ''}${selection} }`,
    variables: Object.fromEntries(args.filter((a) => isNonNullType(a.type) || a.defaultValue === undefined).map((a) => [a.name, value(a)])),
  };
}

describe('API token roles', () => {
  let t: TestDatabase;
  let stack: TestStack;
  let org: string;
  const tokens = {} as Record<Role, string>;
  let cluster: string;
  /** A token of the organization for revokeApiToken. */
  let spareToken: string;

  /** An argument value an admin's call would succeed with: ids of this organization's objects. */
  const valueFor = (arg: GraphQLArgument, name: string): unknown => {
    const type = getNamedType(arg.type);
    if (type.name === 'ClusterBillingNameInput') return { provider: 'AWS', name };
    if (type.name === 'Role') return 'READ_ONLY';
    if (isInputObjectType(type)) throw new Error(`teach this test a value for ${arg.name}: ${arg.type.toString()}`);
    if (type.name === 'ID') return /organization/i.test(arg.name) ? org : name.endsWith('revokeApiToken') ? spareToken : cluster;
    if (type.name === 'String') return name;
    throw new Error(`teach this test a value for ${arg.name}: ${arg.type.toString()}`);
  };

  beforeAll(async () => {
    t = await createPostgresDatabase();
    org = (await createOrganization(t.db, 'Roles org')).id;
    tokens.admin = (await createApiToken(t.db, org, 'admin', 'admin')).token;
    tokens['read-only'] = (await createApiToken(t.db, org, 'viewer', 'read-only')).token;
    cluster = (await createKubernetesCluster(t.db, org, 'roles-1', 'http://ingest.invalid/api/v1/write')).cloudAccount.id;
    spareToken = (await createApiToken(t.db, org, 'spare', 'read-only')).id;
    stack = await startTestStack(t.db);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await t?.drop();
  });

  it('stores the role (admin by default, also for tokens issued before roles) and returns it on authentication', async () => {
    expect((await authenticateToken(t.db, tokens.admin))?.role).toBe('admin');
    expect((await authenticateToken(t.db, tokens['read-only']))?.role).toBe('read-only');
    expect((await createApiToken(t.db, org, 'default')).role).toBe('admin');
    expect(await t.db.query("SELECT role FROM api_tokens WHERE name = 'viewer'")).toEqual([{ role: 'read-only' }]);
    // A row written without a role, as every token before migration 011, is admin.
    const legacy = { id: crypto.randomUUID() };
    await t.db.query("INSERT INTO api_tokens (id, organization_id, lookup_id, token_hash, name) VALUES ($1, $2, 'legacy', 'scrypt$x', 'before roles')", [legacy.id, org]);
    expect(await t.db.query('SELECT role FROM api_tokens WHERE id = $1', [legacy.id])).toEqual([{ role: 'admin' }]);
    // The column's CHECK refuses a role the code does not know, whoever writes it.
    await expect(t.db.query("UPDATE api_tokens SET role = 'owner' WHERE id = $1", [legacy.id])).rejects.toThrow(/check/i);
    await expect(createApiToken(t.db, org, 'x', 'owner' as Role)).rejects.toThrow(/role must be one of admin, read-only/);
  });

  it('tells each token its role and organization (viewer)', async () => {
    for (const [role, name] of [['admin', 'ADMIN'], ['read-only', 'READ_ONLY']] as const) {
      const answer = await callGateway(stack.gateway.url, '{ viewer { role organizationId } }', {}, tokens[role]);
      expect(answer).toEqual({ status: 200, data: { viewer: { role: name, organizationId: org } } });
    }
  });

  it('answers FORBIDDEN to every mutation of the schema for a read-only token, through the gateway, and changes nothing', async () => {
    expect(MUTATIONS.length).toBeGreaterThanOrEqual(3);
    const before = await snapshot(t.db);
    for (const field of MUTATIONS) {
      const { query, variables } = mutationRequest(field, (arg) => valueFor(arg, `ro-${field.name}`));
      const answer = await callGateway(stack.gateway.url, query, variables, tokens['read-only']);
      expect({ field: field.name, data: answer.data ?? null, codes: answer.errors?.map((e) => e.extensions?.code) }).toEqual({ field: field.name, data: null, codes: ['FORBIDDEN'] });
      expect(answer.errors?.[0].message).toMatch(/read-only token cannot run mutations/);
    }
    // Several mutations in one document: refused as a whole, none runs.
    const both = await callGateway(stack.gateway.url, `mutation($org: ID!) { a: createKubernetesCluster(organizationId: $org, name: "ro-a") { __typename } b: deleteCloudAccount(id: "${cluster}") { id } }`, { org }, tokens['read-only']);
    expect(both.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    // Queries still work.
    const read = await callGateway<{ organization: { cloudAccounts: Array<{ id: string }> } }>(stack.gateway.url, 'query($org: ID!) { organization(id: $org) { cloudAccounts { id } } }', { org }, tokens['read-only']);
    expect(read.data?.organization.cloudAccounts.map((a) => a.id)).toEqual([cluster]);
    expect(await snapshot(t.db)).toBe(before);
  }, 60_000);

  it('lets an admin token run every mutation of the schema', async () => {
    const before = await snapshot(t.db);
    // Deletions last, so the calls before them still find their cluster.
    const ordered = [...MUTATIONS].sort((a, b) => Number(a.name.startsWith('delete')) - Number(b.name.startsWith('delete')));
    for (const field of ordered) {
      const { query, variables } = mutationRequest(field, (arg) => valueFor(arg, `admin-${field.name}`));
      const answer = await callGateway(stack.gateway.url, query, variables, tokens.admin);
      expect({ field: field.name, errors: answer.errors }).toEqual({ field: field.name, errors: undefined });
    }
    expect(await snapshot(t.db)).not.toBe(before);
    cluster = (await createKubernetesCluster(t.db, org, 'roles-2', 'http://ingest.invalid/api/v1/write')).cloudAccount.id;
  }, 60_000);

  it('refuses a read-only context signed for the subgraph directly (the gateway bypassed), and one without a role', async () => {
    const before = await snapshot(t.db);
    const remove = 'mutation($id: ID!) { deleteCloudAccount(id: $id) { id } }';
    const readOnly = await callSubgraph(stack.expenses.url, remove, { id: cluster }, { secret: stack.secret, organizationIds: [org], role: 'read-only' });
    expect(readOnly.status).toBe(403);
    expect(readOnly.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    // Signed by a gateway that predates roles: may read, never write.
    const noRole = signContext({ subject: 'old-gateway', organizationIds: [org], role: undefined as unknown as Role }, stack.secret);
    const legacy = await callSubgraph(stack.expenses.url, remove, { id: cluster }, { header: noRole });
    expect(legacy.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    const read = await callSubgraph(stack.expenses.url, '{ viewer { role } }', {}, { header: noRole });
    expect(read.data).toEqual({ viewer: { role: 'READ_ONLY' } });
    // The kubecost subgraph is built by the same server code: it has no mutation yet, and would refuse one.
    const kubecost = await callSubgraph(stack.kubecost.url, 'mutation { __typename }', {}, { secret: stack.secret, organizationIds: [org], role: 'read-only' });
    expect(kubecost.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(await snapshot(t.db)).toBe(before);
    const admin = await callSubgraph(stack.expenses.url, remove, { id: cluster }, { secret: stack.secret, organizationIds: [org], role: 'admin' });
    expect(admin.errors).toBeUndefined();
  });

  it('costgraph token create --role read-only prints a read-only token; an unknown role is one line and a non-zero exit', async () => {
    const env = { DATABASE_URL: t.url };
    const json = await runCostgraph(['token', 'create', '--org', org, '--role', 'read-only', '--json'], env);
    expect(json.status).toBe(0);
    const issued = JSON.parse(json.stdout) as { token: string; role: string };
    expect(issued.role).toBe('read-only');
    expect((await authenticateToken(t.db, issued.token))?.role).toBe('read-only');
    const text = await runCostgraph(['token', 'create', '--org', org, '--role', 'read-only'], env);
    expect(text.stdout).toMatch(/^token [0-9a-f-]{36} \(read-only\): cg_[0-9a-f]{16}_\S{43}\n/);
    expect((await runCostgraph(['token', 'create', '--org', org, '--json'], env)).stdout).toContain('"role": "admin"');
    const tokensBefore = await t.db.query('SELECT count(*)::int AS n FROM api_tokens');
    expectOneLineFailure(await runCostgraph(['token', 'create', '--org', org, '--role', 'owner'], env), /--role: "owner" is not a role \(admin, read-only\)/);
    expect(await t.db.query('SELECT count(*)::int AS n FROM api_tokens')).toEqual(tokensBefore);
  }, 120_000);
});

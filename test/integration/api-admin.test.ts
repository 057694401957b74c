import zlib from 'node:zlib';
import { createApiToken } from '../../lib/accounts/api-tokens';
import { createKubernetesCluster } from '../../lib/accounts/kubernetes-clusters';
import { createOrganization } from '../../lib/accounts/repository';
import { createPgliteDatabase, type TestDatabase } from '../helpers/databases';
import { FOCUS_CSV_TEXT, FOCUS_ROWS, sumColumn, sumColumnBy, units, unitsToNumber } from '../helpers/focus-fixture';
import { focusParquet } from '../helpers/focus-parquet';
import { OpenApiContract } from '../helpers/openapi-contract';
import { callGateway, startTestStack, type TestStack } from '../helpers/stack';

/*
 * What the API does that the CLI did on the server: bills imported over HTTP through the
 * gateway (CSV, gzip CSV, Parquet; refused files, a body over the limit, the wrong token), the
 * imports listed, API tokens created, listed and revoked, a cluster's billing name set. Every
 * REST answer is checked against the OpenAPI document.
 */

const LIMIT = 1_000_000;

interface Answer {
  status: number;
  body: Record<string, unknown> & { error?: { status_code: number; error_code: string; reason: string; params: string[] } };
}

describe('the API doing what the CLI does', () => {
  let t: TestDatabase;
  let stack: TestStack;
  let org = '';
  let eurOrg = '';
  let other = '';
  let admin = '';
  let eurAdmin = '';
  let readOnly = '';
  let otherAdmin = '';
  let origin = '';
  const contract = new OpenApiContract();

  const upload = async (organizationId: string, body: Buffer | string | ReadableStream | null, token: string | null = admin, method = 'POST', fileName = 'bill'): Promise<Answer> => {
    const path = `/api/v1/organizations/${organizationId}/imports/focus`;
    const response = await fetch(`${origin}${path}?file_name=${encodeURIComponent(fileName)}`, {
      method,
      headers: { 'Content-Type': 'application/octet-stream', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: body ?? undefined,
      ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
    } as RequestInit);
    const answer = { status: response.status, body: (await response.json()) as Answer['body'] };
    contract.check(method, path, answer.status, answer.body);
    return answer;
  };
  const imports = async (organizationId: string, token = admin) =>
    (
      await callGateway<{ organization: { imports: Array<{ fileName: string; format: string; rows: number; inserted: number; duplicates: number; importedBy: string; apiTokenId: string | null; totalsByProvider: Array<{ provider: string; billedCost: string }> }> } }>(
        stack.gateway.url,
        `query($org: ID!) { organization(id: $org) { imports(first: 10) { fileName format rows inserted duplicates importedBy apiTokenId totalsByProvider { provider billedCost } } } }`,
        { org: organizationId },
        token,
      )
    ).data!.organization.imports;

  beforeAll(async () => {
    t = await createPgliteDatabase();
    // One token check at a time and none waiting: concurrent new tokens are told to retry (429).
    stack = await startTestStack(t.db, { GATEWAY_IMPORT_MAX_BYTES: String(LIMIT), TOKEN_REVOCATION_POLL: '200ms', TOKEN_VERIFY_CONCURRENCY: '1', TOKEN_VERIFY_QUEUE: '0' });
    origin = new URL(stack.gateway.url).origin;
    org = (await createOrganization(t.db, 'Admin API')).id;
    eurOrg = (await createOrganization(t.db, 'Euro', 'EUR')).id;
    other = (await createOrganization(t.db, 'Other')).id;
    admin = (await createApiToken(t.db, org, 'finance uploader', 'admin')).token;
    eurAdmin = (await createApiToken(t.db, eurOrg, 'eur', 'admin')).token;
    readOnly = (await createApiToken(t.db, org, 'dashboard', 'read-only')).token;
    otherAdmin = (await createApiToken(t.db, other, 'theirs', 'admin')).token;
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await t?.drop();
  });

  it('imports a bill sent as CSV, then gzip CSV and Parquet of the same rows; GraphQL lists every import and counts each row once', async () => {
    const csv = await upload(org, FOCUS_CSV_TEXT, admin, 'POST', 'focus-2024-09.csv');
    expect(csv.status).toBe(201);
    expect(csv.body).toMatchObject({ format: 'csv', fileName: 'focus-2024-09.csv', rows: FOCUS_ROWS.length, inserted: FOCUS_ROWS.length, duplicates: 0 });
    const expected = sumColumnBy(FOCUS_ROWS, 'BilledCost', 'ProviderName');
    for (const [provider, total] of expected) expect(units((csv.body.totalsByProvider as Record<string, string>)[provider])).toBe(total);

    const gz = await upload(org, zlib.gzipSync(FOCUS_CSV_TEXT), admin, 'POST', 'focus-2024-09.csv.gz');
    expect(gz.body).toMatchObject({ format: 'csv.gz', inserted: 0, duplicates: FOCUS_ROWS.length });
    const parquet = await upload(org, await focusParquet(), admin, 'POST', 'focus-2024-09.parquet');
    expect(parquet.status).toBe(201);
    // Parquet rows are told apart by their values, not a CSV line: the same bill, rows new to the hash.
    expect(parquet.body).toMatchObject({ format: 'parquet', rows: FOCUS_ROWS.length });

    const listed = await imports(org);
    expect(listed.map((i) => [i.fileName, i.format])).toEqual([
      ['focus-2024-09.parquet', 'PARQUET'],
      ['focus-2024-09.csv.gz', 'CSV_GZ'],
      ['focus-2024-09.csv', 'CSV'],
    ]);
    expect(listed.every((i) => i.importedBy === 'finance uploader' && i.apiTokenId !== null)).toBe(true);
    expect(listed[2].totalsByProvider.map((p) => p.provider).sort()).toEqual([...expected.keys()].sort());
    // A read-only token sees the list too (it shows no secret).
    expect(await imports(org, readOnly)).toHaveLength(3);
  });

  it('the expenses imported over HTTP are what GraphQL sums', async () => {
    const summed = await createOrganization(t.db, 'Summed');
    const token = (await createApiToken(t.db, summed.id, 'summed')).token;
    expect((await upload(summed.id, zlib.gzipSync(FOCUS_CSV_TEXT), token)).status).toBe(201);
    const answer = await callGateway<{ organization: { expenses: { totalCost: number; count: number } } }>(
      stack.gateway.url,
      `query($org: ID!) { organization(id: $org) { expenses(range: { from: "2024-09-01T00:00:00Z", to: "2024-10-01T00:00:00Z" }) { totalCost count } } }`,
      { org: summed.id },
      token,
    );
    expect(answer.data!.organization.expenses.count).toBe(FOCUS_ROWS.length);
    expect(answer.data!.organization.expenses.totalCost).toBeCloseTo(unitsToNumber(sumColumn(FOCUS_ROWS, 'BilledCost')), 6);
  });

  it('refuses broken files with a reason and imports nothing of them', async () => {
    const gz = zlib.gzipSync(FOCUS_CSV_TEXT);
    const cut = await upload(org, gz.subarray(0, gz.length >> 1));
    expect(cut.status).toBe(400);
    expect(cut.body.error).toMatchObject({ error_code: 'FOCUS_MALFORMED' });
    expect(cut.body.error!.reason).toMatch(/gzip data is truncated/);
    const parquet = Buffer.from(await focusParquet());
    parquet.fill(0x7f, 8, parquet.length >> 1);
    expect((await upload(org, parquet)).body.error).toMatchObject({ error_code: 'FOCUS_MALFORMED' });
    // Not a FOCUS file at all: CSV of something else, JSON.
    const unrelated = await upload(org, 'name,value\nx,1\n');
    expect(unrelated.status).toBe(400);
    expect(unrelated.body.error!.reason).toMatch(/missing required FOCUS columns/);
    expect((await upload(org, JSON.stringify({ hello: 'world' }))).body.error).toMatchObject({ status_code: 400, error_code: 'FOCUS_MALFORMED' });
    expect((await upload(org, '')).body.error).toMatchObject({ status_code: 400, error_code: 'FOCUS_MALFORMED' });
    // Billed in USD, sent to an organization billed in EUR.
    const currency = await upload(eurOrg, FOCUS_CSV_TEXT, eurAdmin);
    expect(currency.status).toBe(400);
    expect(currency.body.error).toMatchObject({ error_code: 'FOCUS_CURRENCY_MISMATCH', params: ['2'] });
    expect(await imports(eurOrg, eurAdmin)).toEqual([]);
    expect(await imports(org)).toHaveLength(3);
  });

  it('refuses a body over the limit, declared or streamed, with 413 and imports nothing', async () => {
    const big = Buffer.alloc(LIMIT + 1, 'a');
    const declared = await upload(org, big);
    expect(declared.status).toBe(413);
    expect(declared.body.error).toMatchObject({ error_code: 'PAYLOAD_TOO_LARGE' });
    // Chunked, without a length: refused when it crosses the limit.
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > LIMIT * 2) return controller.close();
        sent += 64 * 1024;
        controller.enqueue(new Uint8Array(64 * 1024).fill(97));
      },
    });
    expect((await upload(org, stream)).status).toBe(413);
    expect(await imports(org)).toHaveLength(3);
    // The gateway still answers.
    expect((await callGateway(stack.gateway.url, '{ viewer { role } }', {}, admin)).data).toEqual({ viewer: { role: 'ADMIN' } });
  });

  it('refuses the wrong caller: no token 401, read-only 403, another organization 404, GET 405', async () => {
    expect((await upload(org, FOCUS_CSV_TEXT, null)).status).toBe(401);
    const forbidden = await upload(org, FOCUS_CSV_TEXT, readOnly);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error!.error_code).toBe('FORBIDDEN');
    const foreign = await upload(other, FOCUS_CSV_TEXT, admin);
    const unknown = await upload('00000000-0000-4000-8000-000000000000', FOCUS_CSV_TEXT, admin);
    expect([foreign.status, unknown.status]).toEqual([404, 404]);
    expect((await upload(org, null, admin, 'GET')).status).toBe(405);
    expect(await imports(other, otherAdmin)).toEqual([]);
  });

  it('too many token checks at once: 429 in the REST error shape with Retry-After, on uploads and the seed\'s endpoints alike', async () => {
    const fresh = await Promise.all(Array.from({ length: 6 }, (_, i) => createApiToken(t.db, org, `burst ${i}`)));
    const answers = await Promise.all(
      fresh.map(async ({ token }, i) => {
        const path = i % 2 === 0 ? `/api/v1/organizations/${org}/imports/focus` : '/metroculus/v2/kubecost_savings';
        const response = await fetch(`${origin}${path}${i % 2 === 0 ? '' : '?cloud_account_id=00000000-0000-4000-8000-000000000000&start_date=0&end_date=3599'}`, {
          method: i % 2 === 0 ? 'POST' : 'GET',
          headers: { Authorization: `Bearer ${token}` },
          body: i % 2 === 0 ? 'not,a,bill' : undefined,
        });
        const body = (await response.json()) as Answer['body'];
        contract.check(i % 2 === 0 ? 'POST' : 'GET', path, response.status, body);
        return { status: response.status, retryAfter: response.headers.get('retry-after'), code: body.error?.error_code };
      }),
    );
    const throttled = answers.filter((a) => a.status === 429);
    expect(throttled.length).toBeGreaterThan(0);
    for (const a of throttled) expect(a).toMatchObject({ code: 'RATE_LIMITED', retryAfter: expect.stringMatching(/^\d+$/) });
    // The one checked got its ordinary answer.
    expect(answers.filter((a) => a.status !== 429).every((a) => a.status === 400 || a.status === 404)).toBe(true);
  });

  it('creates, lists and revokes API tokens through GraphQL, for ADMIN tokens only', async () => {
    const created = await callGateway<{ createApiToken: { token: string; apiToken: { id: string; name: string; role: string; revokedAt: string | null } } }>(
      stack.gateway.url,
      `mutation($org: ID!) { createApiToken(organizationId: $org, name: "ci reader", role: READ_ONLY) { token apiToken { id name role revokedAt } } }`,
      { org },
      admin,
    );
    expect(created.errors).toBeUndefined();
    const { token, apiToken } = created.data!.createApiToken;
    expect(token).toMatch(/^cg_[0-9a-f]{16}_/);
    expect(apiToken).toMatchObject({ name: 'ci reader', role: 'READ_ONLY', revokedAt: null });
    // The new token works, as a read-only one.
    expect((await callGateway(stack.gateway.url, '{ viewer { role } }', {}, token)).data).toEqual({ viewer: { role: 'READ_ONLY' } });
    // Its secret is nowhere in the list, nor in the database.
    const listed = await callGateway<{ organization: { apiTokens: Array<{ id: string; name: string }> } }>(stack.gateway.url, `query($org: ID!) { organization(id: $org) { apiTokens { id name role createdAt revokedAt } } }`, { org }, admin);
    expect(listed.data!.organization.apiTokens.map((t) => t.name)).toEqual(expect.arrayContaining(['ci reader', 'finance uploader', 'dashboard']));
    expect(JSON.stringify(listed)).not.toContain(token.slice(20));
    const [row] = await t.db.query<{ token_hash: string }>('SELECT token_hash FROM api_tokens WHERE id = $1', [apiToken.id]);
    expect(row.token_hash).toMatch(/^scrypt\$/);
    expect(row.token_hash).not.toContain(token.slice(20));

    // Read-only tokens may neither list nor create; another organization's token is not found.
    const denied = await callGateway(stack.gateway.url, `query($org: ID!) { organization(id: $org) { apiTokens { id } } }`, { org }, readOnly);
    expect(denied.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const notCreated = await callGateway(stack.gateway.url, `mutation($org: ID!) { createApiToken(organizationId: $org, name: "x", role: ADMIN) { token } }`, { org }, readOnly);
    expect(notCreated.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const theirs = await callGateway(stack.gateway.url, `mutation($id: ID!) { revokeApiToken(id: $id) { id } }`, { id: apiToken.id }, otherAdmin);
    expect(theirs.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const empty = await callGateway(stack.gateway.url, `mutation($org: ID!) { createApiToken(organizationId: $org, name: "  ", role: ADMIN) { token } }`, { org }, admin);
    expect(empty.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');

    const revoked = await callGateway<{ revokeApiToken: { revokedAt: string | null } }>(stack.gateway.url, `mutation($id: ID!) { revokeApiToken(id: $id) { id revokedAt } }`, { id: apiToken.id }, admin);
    expect(revoked.data!.revokeApiToken.revokedAt).not.toBeNull();
    // Every gateway stops accepting it within its revocation poll (200 ms here).
    let status = 200;
    for (let i = 0; i < 50 && status !== 401; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await callGateway(stack.gateway.url, '{ viewer { role } }', {}, token)).status;
    }
    expect(status).toBe(401);
  });

  it('sets and clears a cluster\'s billing name through GraphQL', async () => {
    const cluster = await createKubernetesCluster(t.db, org, 'eks-prod', 'http://127.0.0.1/api/v1/write');
    const set = await callGateway(
      stack.gateway.url,
      `mutation($id: ID!) { setClusterBillingName(cloudAccountId: $id, billing: { provider: AWS, name: "prod-eks" }) { id name } }`,
      { id: cluster.cloudAccount.id },
      admin,
    );
    expect(set.errors).toBeUndefined();
    const keys = async () => (await t.db.query<{ cluster_key: string }>(`SELECT cluster_key FROM kubernetes_cluster_keys WHERE cloud_account_id = $1 AND source = 'set'`, [cluster.cloudAccount.id])).map((r) => r.cluster_key);
    expect(await keys()).toEqual(['aws:cluster:prod-eks']);
    const foreign = await callGateway(stack.gateway.url, `mutation($id: ID!) { setClusterBillingName(cloudAccountId: $id, billing: null) { id } }`, { id: cluster.cloudAccount.id }, otherAdmin);
    expect(foreign.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect(await keys()).toEqual(['aws:cluster:prod-eks']);
    await callGateway(stack.gateway.url, `mutation($id: ID!) { setClusterBillingName(cloudAccountId: $id, billing: null) { id } }`, { id: cluster.cloudAccount.id }, admin);
    expect(await keys()).toEqual([]);
  });
});

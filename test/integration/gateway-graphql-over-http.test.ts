import { createApiToken } from '../../lib/accounts/api-tokens';
import { createOrganization } from '../../lib/accounts/repository';
import { createPgliteDatabase, type TestDatabase } from '../helpers/databases';
import { startTestStack, type TestStack } from '../helpers/stack';

/*
 * The gateway's status codes as the GraphQL over HTTP specification gives them, per Accept
 * header, and GET for queries (never mutations) with CSRF prevention kept.
 */

const GRAPHQL_RESPONSE = 'application/graphql-response+json';

describe('GraphQL over HTTP at the gateway', () => {
  let t: TestDatabase;
  let stack: TestStack;
  let token = '';
  let org = '';

  const post = async (query: string, accept?: string, variables: Record<string, unknown> = {}) => {
    const response = await fetch(stack.gateway.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}`, ...(accept ? { Accept: accept } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, type: response.headers.get('content-type') ?? '', body: (await response.json()) as { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> } };
  };

  beforeAll(async () => {
    t = await createPgliteDatabase();
    stack = await startTestStack(t.db);
    org = (await createOrganization(t.db, 'HTTP')).id;
    token = (await createApiToken(t.db, org, 'http')).token;
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    await t?.drop();
  });

  it.each([
    ['a document that does not parse', '{ viewer { role ', 'GRAPHQL_PARSE_FAILED'],
    ['a field that does not exist', '{ viewer { salary } }', 'GRAPHQL_VALIDATION_FAILED'],
    ['a document over the token limit', `{ viewer { ${'role '.repeat(4000)} } }`, 'QUERY_TOO_COMPLEX'],
  ])('%s: 400 for application/graphql-response+json, 200 with the same errors for application/json', async (_name, query, code) => {
    const strict = await post(query, GRAPHQL_RESPONSE);
    expect(strict.status).toBe(400);
    expect(strict.type).toContain(GRAPHQL_RESPONSE);
    expect(strict.body.errors?.[0].extensions?.code).toBe(code);
    expect(strict.body.data).toBeUndefined();
    for (const accept of ['application/json', undefined, '*/*']) {
      const legacy = await post(query, accept);
      expect(legacy.status).toBe(200);
      expect(legacy.type).toContain('application/json');
      expect(legacy.body.errors?.[0].extensions?.code).toBe(code);
    }
  });

  it('a variable of the wrong type: 400 or 200 by Accept; a query that runs is 200 either way', async () => {
    const query = 'query($first: Int!) { organization(id: "00000000-0000-4000-8000-000000000000") { imports(first: $first) { id } } }';
    expect((await post(query, GRAPHQL_RESPONSE, { first: 'many' })).status).toBe(400);
    expect((await post(query, 'application/json', { first: 'many' })).status).toBe(200);
    const ran = await post('{ viewer { role } }', GRAPHQL_RESPONSE);
    expect(ran).toMatchObject({ status: 200, body: { data: { viewer: { role: 'ADMIN' } } } });
    // A field error is an answer, not a refused request.
    const fieldError = await post(`{ organization(id: "${org}") { imports(first: 0) { id } } }`, GRAPHQL_RESPONSE);
    expect(fieldError.status).toBe(200);
    expect(fieldError.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('answers queries over GET with a preflight-forcing header; refuses GET mutations and simple GETs', async () => {
    const url = (query: string) => `${stack.gateway.url}?query=${encodeURIComponent(query)}`;
    const get = await fetch(url('{ viewer { role organizationId } }'), { headers: { Authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true', Accept: GRAPHQL_RESPONSE } });
    expect(get.status).toBe(200);
    expect(await get.json()).toEqual({ data: { viewer: { role: 'ADMIN', organizationId: org } } });
    const mutation = await fetch(url(`mutation { revokeApiToken(id: "00000000-0000-4000-8000-000000000000") { id } }`), {
      headers: { Authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' },
    });
    expect(mutation.status).toBe(405);
    // A GET a browser could send cross-site without a preflight is refused (CSRF prevention).
    const simple = await fetch(url('{ viewer { role } }'), { headers: { Authorization: `Bearer ${token}` } });
    expect(simple.status).toBe(400);
    // Nothing was revoked.
    expect((await post('{ viewer { role } }')).status).toBe(200);
  });
});

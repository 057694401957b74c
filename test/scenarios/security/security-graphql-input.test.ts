import { createOrganization } from '../../../lib/accounts/repository';
import { createApiToken } from '../../../lib/accounts/api-tokens';
import { databaseBackends, type TestDatabase } from '../../helpers/databases';
import { callGateway, startTestStack, type TestStack } from '../../helpers/stack';

const DAY_MS = 86_400_000;
const END = Math.floor(Date.now() / DAY_MS) * DAY_MS;
const RANGE = { from: new Date(END - 30 * DAY_MS).toISOString(), to: new Date(END).toISOString() };
/** A hang guard, not a performance figure: a request still unanswered after this fails. */
const HANG_MS = 20_000;
/** Codes a client can act on. INTERNAL_SERVER_ERROR and 5xx are failures of costgraph itself. */
const TYPED = new Set([
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'QUERY_TOO_COMPLEX',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'UNAUTHENTICATED',
  'PAYLOAD_TOO_LARGE',
  'METHOD_NOT_ALLOWED',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

interface Answer {
  name: string;
  status: number;
  codes: string[];
  messages: string[];
  data: unknown;
  ms: number;
  bytes: number;
}

const backend = databaseBackends().at(-1)!;

describe(`gateway under bad GraphQL input (${backend.name})`, () => {
  let t: TestDatabase;
  let stack: TestStack;
  let url: string;
  let org = '';
  let token = '';
  const observed: Array<{ name: string } & Omit<Answer, 'data' | 'messages'>> = [];

  beforeAll(async () => {
    t = await backend.create();
    stack = await startTestStack(t.db);
    url = stack.gateway.url;
    org = (await createOrganization(t.db, 'Input')).id;
    token = (await createApiToken(t.db, org, 'input')).token;
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await t?.drop();
    process.stderr.write(`bad GraphQL input: ${observed.length} requests, slowest ${Math.max(...observed.map((o) => o.ms)).toFixed(0)} ms\n`);
  });

  /**
   * Sends a raw request and records status, error codes and time. As a client of the GraphQL
   * response type by default: a request that does not run is then a 4xx (the gateway answers
   * application/json clients 200, gateway-graphql-over-http.test.ts).
   */
  async function send(name: string, init: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array<ArrayBuffer>; search?: string; auth?: boolean }): Promise<Answer> {
    const started = performance.now();
    const response = await fetch(`${url}${init.search ?? ''}`, {
      method: init.method ?? 'POST',
      headers: { ...(init.auth === false ? {} : { Authorization: `Bearer ${token}` }), ...(init.headers ?? { 'Content-Type': 'application/json', Accept: 'application/graphql-response+json' }) },
      body: init.body,
      signal: AbortSignal.timeout(HANG_MS),
    });
    const text = await response.text();
    const ms = performance.now() - started;
    let parsed: { data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string } }> } = {};
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      parsed = {};
    }
    const answer = {
      name,
      status: response.status,
      codes: (parsed.errors ?? []).map((e) => e.extensions?.code ?? '(none)'),
      messages: (parsed.errors ?? []).map((e) => e.message),
      data: parsed.data,
      ms,
      bytes: text.length,
    };
    observed.push({ name, status: answer.status, codes: answer.codes, ms, bytes: answer.bytes });
    // A 5xx is costgraph failing, whatever was sent.
    if (answer.status >= 500) throw new Error(`${name}: answered ${answer.status}`);
    return answer;
  }

  const gql = (name: string, query: string, variables: Record<string, unknown> = {}) => send(name, { body: JSON.stringify({ query, variables }) });

  /** Refused with a typed error: a 4xx, or 200 with errors; never 5xx, never masked. */
  function expectTyped(answer: Answer, code?: string) {
    const verdict = {
      name: answer.name,
      not5xx: answer.status < 500,
      refused: answer.codes.length > 0,
      untyped: answer.codes.filter((c) => !TYPED.has(c)),
      expectedCode: code === undefined || answer.codes.includes(code),
      // Errors quote at most a little of what was sent.
      longMessages: answer.messages.filter((m) => m.length >= 1000).map((m) => m.slice(0, 100)),
    };
    expect(verdict).toEqual({ name: answer.name, not5xx: true, refused: true, untyped: [], expectedCode: true, longMessages: [] });
  }

  it('refuses depth, alias, token, directive and fragment bombs', async () => {
    const depth = await gql('depth bomb (40 levels)', `{ organizations { ${'cloudAccounts { organization { '.repeat(20)}id${' } }'.repeat(20)} } }`);
    expectTyped(depth, 'QUERY_TOO_COMPLEX');
    expectTyped(await gql('alias bomb (2,000 aliases)', `{ ${Array.from({ length: 2000 }, (_, i) => `a${i}: __typename`).join(' ')} }`), 'QUERY_TOO_COMPLEX');
    expectTyped(await gql('alias bomb (40 aliases)', `{ ${Array.from({ length: 40 }, (_, i) => `a${i}: organizations { id }`).join(' ')} }`), 'QUERY_TOO_COMPLEX');
    expectTyped(await gql('token bomb (80,000 tokens)', `{ organizations { ${'id '.repeat(80_000)} } }`), 'QUERY_TOO_COMPLEX');
    expectTyped(await gql('directive bomb', `{ organizations ${'@include(if: true) '.repeat(500)} { id } }`));
    // Each fragment spreads the next twice: 2^150 paths if walked naively.
    const fanOut = Array.from({ length: 150 }, (_, i) => (i < 149 ? `fragment F${i} on Organization { ...F${i + 1} ...F${i + 1} }` : `fragment F${i} on Organization { id }`));
    expectTyped(await gql('fragment fan-out bomb (150 fragments, each spreading the next twice)', `{ organizations { ...F0 } }\n${fanOut.join('\n')}`), 'QUERY_TOO_COMPLEX');
    // Within the depth limit: one fragment spread 600 times, nested 4 deep.
    const wide = `{ organizations { ...W } }
      fragment W on Organization { ${'...X '.repeat(600)} }
      fragment X on Organization { cloudAccounts { ...Y ...Y ...Y } }
      fragment Y on CloudAccount { organization { id name } }`;
    const wideAnswer = await gql('fragment fan-out within the limits (one fragment spread 600 times)', wide);
    expect(wideAnswer.status).toBe(200);
    expect(wideAnswer.codes).toEqual([]);
    const nested = Array.from({ length: 60 }, (_, i) => `fragment N${i} on Organization { id ${i < 59 ? `...N${i + 1}` : ''} }`);
    expectTyped(await gql('deeply nested fragments (60)', `{ organizations { ...N0 } }\n${nested.join('\n')}`), 'QUERY_TOO_COMPLEX');
    expectTyped(await gql('fragment cycle', `{ organizations { ...A } } fragment A on Organization { ...B } fragment B on Organization { ...A }`), 'GRAPHQL_VALIDATION_FAILED');
    expectTyped(await gql('self-referencing fragment', `{ organizations { ...A } } fragment A on Organization { id cloudAccounts { organization { ...A } } }`), 'GRAPHQL_VALIDATION_FAILED');
    for (const op of ['subscription { organizations { id } }', 'subscription S { x }']) {
      const answer = await gql(`operation without a root type: ${op}`, op);
      expectTyped(answer, 'GRAPHQL_VALIDATION_FAILED');
      expect(answer.status).toBe(400);
    }
    expectTyped(await gql('introspection depth bomb', `{ __schema { types { ${'fields { type { ofType { '.repeat(8)}name${' } } }'.repeat(8)} } } }`), 'QUERY_TOO_COMPLEX');
  }, 120_000);

  it('refuses documents nested thousands of levels deep before parsing them, with the limit\'s code', async () => {
    const nestings: Array<[string, (n: number) => string]> = [
      ['selections', (n) => `{ ${'organizations { '.repeat(n)}id${' }'.repeat(n)} }`],
      ['list values', (n) => `{ organization(id: ${'['.repeat(n)}${']'.repeat(n)}) { id } }`],
      ['object values', (n) => `{ organization(id: ${'{a:'.repeat(n)}1${'}'.repeat(n)}) { id } }`],
      ['inline fragments', (n) => `{ ${'...{'.repeat(n)}__typename${'}'.repeat(n)} }`],
    ];
    for (const [what, query] of nestings) {
      for (const levels of [3000, 100_000]) {
        const text = query(levels);
        const answer = await gql(`${what} nested ${levels} levels (${text.length} bytes)`, text);
        expectTyped(answer);
        // Past the body limit the size limit answers first; below it, the depth or token limit.
        const expected = text.length > 256 * 1024 ? { status: 413, code: 'PAYLOAD_TOO_LARGE' } : { status: 400, code: 'QUERY_TOO_COMPLEX' };
        expect({ name: answer.name, status: answer.status, codes: answer.codes, internal: answer.messages.filter((m) => /stack|internal/i.test(m)) }).toEqual({
          name: answer.name,
          status: expected.status,
          codes: [expected.code],
          internal: [],
        });
      }
    }
    // Huge documents just under the body limit: many tokens are refused, a few huge ones are fine.
    const tokens = await gql('250 KB of tokens', `{ ${'a '.repeat(125_000)}}`);
    expect({ status: tokens.status, codes: tokens.codes }).toEqual({ status: 400, codes: ['QUERY_TOO_COMPLEX'] });
    const oneString = await gql('one 250 KB string', `{ organization(id: "${'x'.repeat(250_000)}") { id } }`);
    expect({ status: oneString.status, codes: oneString.codes, data: oneString.data }).toEqual({ status: 200, codes: [], data: { organization: null } });
    const comment = await gql('a 250 KB comment', `{ organizations { id } } #${'['.repeat(250_000)}`);
    expect({ status: comment.status, codes: comment.codes }).toEqual({ status: 200, codes: [] });
    // A GET request is checked the same way.
    const get = await send('GET with 3,500 tokens', {
      method: 'GET',
      search: `?${new URLSearchParams({ query: `{ ${'a '.repeat(3500)}}` })}`,
      headers: { 'Apollo-Require-Preflight': 'true', Accept: 'application/graphql-response+json' },
    });
    expect({ status: get.status, codes: get.codes }).toEqual({ status: 400, codes: ['QUERY_TOO_COMPLEX'] });
    // Still up, and still answering.
    const after = await callGateway<{ organizations: Array<{ id: string }> }>(url, '{ organizations { id } }', {}, token);
    expect(after.data).toEqual({ organizations: [{ id: org }] });
  }, 120_000);

  it('refuses a bad value of a subgraph scalar in variables at the gateway, with 400, before any subgraph is asked', async () => {
    const query = `query($org: ID!, $range: DateRangeInput!) { organization(id: $org) { expenses(range: $range) { totalCost } kubernetesCosts(range: $range) { totalCost } } }`;
    const fetches = async () => {
      const text = await (await fetch(`${stack.gateway.internalUrl}/metrics`)).text();
      return [...text.matchAll(/^costgraph_gateway_subgraph_fetch_duration_seconds_count\{[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
    };
    const before = await fetches();
    for (const bad of ['2024-13-45T99:00:00Z', 'yesterday', '2026-02-30T00:00:00Z', '1969-12-31T00:00:00Z', '2024-01-01T00:00:00', 20240101, true]) {
      const answer = await gql(`range variable from: ${JSON.stringify(bad)}`, query, { org, range: { from: bad, to: RANGE.to } });
      expect({ bad, status: answer.status, codes: answer.codes, data: answer.data }).toEqual({ bad, status: 400, codes: ['BAD_USER_INPUT'], data: undefined });
      expect(answer.messages[0]).toMatch(/^Variable "\$range" got invalid value .* at "range\.from"; DateTime /);
    }
    expect(await fetches()).toBe(before);
    // A good value still goes through (and reaches the subgraphs).
    const good = await gql('range variable: valid', query, { org, range: RANGE });
    expect({ status: good.status, codes: good.codes }).toEqual({ status: 200, codes: [] });
    expect(await fetches()).toBeGreaterThan(before);
  });

  it('refuses huge and negative page sizes, and bad cursors', async () => {
    const items = (first: string, after = 'null') =>
      `query($org: ID!, $range: DateRangeInput!) { organization(id: $org) { expenses(range: $range) { items(first: ${first}, after: ${after}) { nodes { id } } } } }`;
    for (const first of ['1000000', '501', '0', '-1']) expectTyped(await gql(`items(first: ${first})`, items(first), { org, range: RANGE }), 'BAD_USER_INPUT');
    expectTyped(await gql('items(first: 2^40) (not an Int)', items('1099511627776'), { org, range: RANGE }), 'GRAPHQL_VALIDATION_FAILED');
    const viaVariable = await gql(
      'items(first: $n) with n = 1e12',
      `query($org: ID!, $range: DateRangeInput!, $n: Int) { organization(id: $org) { expenses(range: $range) { items(first: $n) { nodes { id } } } } }`,
      { org, range: RANGE, n: 1e12 },
    );
    expectTyped(viaVariable, 'BAD_USER_INPUT');
    for (const after of ['"x"', '"!!!"', `"${Buffer.from('{"o":"COST_DESC","c":"BILLED","k":"1; DROP TABLE expenses","i":"x"}').toString('base64url')}"`, `"${'A'.repeat(5000)}"`]) {
      expectTyped(await gql(`items(after: ${after.slice(0, 20)}...)`, items('10', after), { org, range: RANGE }), 'BAD_USER_INPUT');
    }
  });

  it('refuses invalid, reversed, empty, too short and too long date ranges', async () => {
    const query = `query($org: ID!, $range: DateRangeInput!) { organization(id: $org) { costSummary(range: $range) { cloudCost kubernetesCost } expenses(range: $range) { totalCost } kubernetesCosts(range: $range) { totalCost } } }`;
    const ranges: Array<[string, unknown]> = [
      ['not a date', { from: 'yesterday', to: RANGE.to }],
      ['number instead of date', { from: 0, to: 1 }],
      ['year 275761', { from: RANGE.from, to: '+275761-01-01T00:00:00Z' }],
      ['reversed', { from: RANGE.to, to: RANGE.from }],
      ['empty', { from: RANGE.from, to: RANGE.from }],
      ['401 days', { from: new Date(END - 401 * DAY_MS).toISOString(), to: RANGE.to }],
      ['100 years', { from: '1925-01-01T00:00:00Z', to: '2025-01-01T00:00:00Z' }],
      ['one millisecond', { from: RANGE.from, to: new Date(new Date(RANGE.from).getTime() + 1).toISOString() }],
      ['a day that does not exist (rolled over by Date)', { from: RANGE.from, to: '2026-11-31T00:00:00Z' }],
      ['February 30th', { from: '2026-02-30T00:00:00Z', to: '2026-03-05T00:00:00Z' }],
      ['year 0', { from: '0000-01-01T00:00:00Z', to: '0000-01-02T00:00:00Z' }],
      ['before 1970', { from: '1969-12-31T00:00:00Z', to: '1970-01-02T00:00:00Z' }],
      ['missing to', { from: RANGE.from }],
      ['extra field', { ...RANGE, tz: 'Europe/Paris' }],
    ];
    for (const [name, range] of ranges) {
      const answer = await gql(`range: ${name}`, query, { org, range });
      expectTyped(answer, 'BAD_USER_INPUT');
    }
    // A date without a time is midnight UTC, as in JavaScript and PostgreSQL.
    const dateOnly = await gql('range: date without time (accepted as UTC midnight)', query, { org, range: { from: '2024-01-01', to: '2024-02-01' } });
    expect({ status: dateOnly.status, codes: dateOnly.codes }).toEqual({ status: 200, codes: [] });
    // Inline literals are checked by the same scalar.
    expectTyped(await gql('range literal reversed', `{ organization(id: "${org}") { expenses(range: { from: "${RANGE.to}", to: "${RANGE.from}" }) { totalCost } } }`), 'BAD_USER_INPUT');
    // The gateway parses literals of the subgraphs' scalars before planning: an invalid inline
    // DateTime is the client's mistake (BAD_USER_INPUT, as via a variable), refused with 400
    // before any subgraph sees it, not reported as a subgraph failing.
    for (const bad of ['"2024-13-45T99:00:00Z"', '"yesterday"', '20240101', 'true']) {
      const literal = await gql(`range literal ${bad}`, `{ organization(id: "${org}") { expenses(range: { from: ${bad}, to: "${RANGE.to}" }) { totalCost } } }`);
      expect({ status: literal.status, codes: literal.codes, data: literal.data }).toEqual({ status: 400, codes: ['BAD_USER_INPUT'], data: undefined });
    }
  });

  it('answers malformed ids with null or NOT_FOUND, never an internal error', async () => {
    const ids = ['not-a-uuid', '', ' ', 'x'.repeat(10 * 1024), 'ü🙂', '\u0000', '\ud800', `${org}\u0000`, `${org} `, `' OR 1=1 --`, '{"$ne":null}', org.replace(/-/g, '')];
    for (const id of ids) {
      const label = JSON.stringify(id).slice(0, 30);
      const read = await gql(
        `ids: ${label}`,
        `query($id: ID!, $range: DateRangeInput!) { organization(id: $id) { id } cloudAccount(id: $id) { id kubernetesCost(range: $range) { totalCost } } }`,
        { id, range: RANGE },
      );
      expect({ label, status: read.status, codes: read.codes, data: read.data }).toEqual({ label, status: 200, codes: [], data: { organization: null, cloudAccount: null } });
      for (const mutation of [
        `mutation($id: ID!) { rotateClusterCredential(cloudAccountId: $id) { password } }`,
        `mutation($id: ID!) { deleteCloudAccount(id: $id) { id } }`,
        `mutation($id: ID!) { createKubernetesCluster(organizationId: $id, name: "c") { password } }`,
      ]) {
        const answer = await gql(`mutation ids: ${label}`, mutation, { id });
        expectTyped(answer, 'NOT_FOUND');
      }
      const filtered = await gql(
        `filter ids: ${label}`,
        `query($org: ID!, $range: DateRangeInput!, $ids: [ID!]) { organization(id: $org) { expenses(range: $range, filter: { cloudAccountIds: $ids }) { totalCost } } }`,
        { org, range: RANGE, ids: [id] },
      );
      expectTyped(filtered, 'BAD_USER_INPUT');
    }
  });

  it('refuses hostile strings in filters, tag keys and names with BAD_USER_INPUT', async () => {
    const report = `query($org: ID!, $range: DateRangeInput!, $f: ExpenseFilter, $tag: String) { organization(id: $org) {
      expenses(range: $range, filter: $f) { totalCost count items(first: 5) { nodes { id } } breakdown(by: TAG, tagKey: $tag) { key } } } }`;
    for (const text of ['\u0000', 'a\u0000b', '\ud800', 'x'.repeat(10 * 1024)]) {
      const label = JSON.stringify(text).slice(0, 20);
      for (const [what, f, tag] of [
        ['services', { services: [text] }, 'team'],
        ['resourceIdContains', { resourceIdContains: text }, 'team'],
        ['tag filter', { tag: { key: text, value: text } }, 'team'],
        ['tagKey', undefined, text],
      ] as const) {
        const answer = await gql(`${what} ${label}`, report, { org, range: RANGE, f, tag });
        // A lone surrogate is valid JSON and reaches PostgreSQL as U+FFFD: it simply matches nothing.
        if (text === '\ud800') expect({ name: answer.name, status: answer.status, codes: answer.codes }).toEqual({ name: answer.name, status: 200, codes: [] });
        else expectTyped(answer, 'BAD_USER_INPUT');
      }
      expectTyped(await gql(`cluster name ${label}`, `mutation($org: ID!, $name: String!) { createKubernetesCluster(organizationId: $org, name: $name) { password } }`, { org, name: text }), 'BAD_USER_INPUT');
    }
    expectTyped(await gql('101 filter values', report, { org, range: RANGE, f: { services: Array.from({ length: 101 }, (_, i) => `s${i}`) }, tag: 'team' }), 'BAD_USER_INPUT');
    expectTyped(await gql('unknown enum', `{ organization(id: "${org}") { cloudAccounts(type: MAINFRAME) { id } } }`), 'GRAPHQL_VALIDATION_FAILED');
  });

  it('refuses oversized bodies, batches, CSRF-able GETs, wrong content types and broken JSON', async () => {
    const big = await send('300 KiB body', { body: JSON.stringify({ query: `{ organizations { id } } # ${'x'.repeat(300 * 1024)}` }) });
    expect(big.status).toBe(413);
    expectTyped(big, 'PAYLOAD_TOO_LARGE');
    const huge = await send('8 MiB body', { body: JSON.stringify({ query: '{ organizations { id } }', variables: { x: 'y'.repeat(8 * 1024 * 1024) } }) });
    expect(huge.status).toBe(413);
    const bigUnauthenticated = await send('8 MiB body without a token', { auth: false, body: 'z'.repeat(8 * 1024 * 1024) });
    expect([401, 413]).toContain(bigUnauthenticated.status);

    const batch = await send('batched request (JSON array)', { body: JSON.stringify([{ query: '{ organizations { id } }' }, { query: '{ organizations { id } }' }]) });
    expect(batch.status).toBe(400);
    expectTyped(batch);
    const emptyBatch = await send('empty JSON array', { body: '[]' });
    expect(emptyBatch.status).toBe(400);

    const q = encodeURIComponent('{ organizations { id } }');
    const csrf = await send('GET with a query, no preflight header (CSRF)', { method: 'GET', search: `?query=${q}`, headers: {} });
    expect(csrf.status).toBe(400);
    expectTyped(csrf);
    const getMutation = await send('GET with a mutation', {
      method: 'GET',
      search: `?query=${encodeURIComponent(`mutation { createKubernetesCluster(organizationId: "${org}", name: "via-get") { password } }`)}`,
      headers: { 'Apollo-Require-Preflight': 'true' },
    });
    expect([400, 405]).toContain(getMutation.status);
    expectTyped(getMutation);
    const own = await callGateway<{ organization: { cloudAccounts: unknown[] } }>(url, `{ organization(id: "${org}") { cloudAccounts { id } } }`, {}, token);
    expect(own.data!.organization.cloudAccounts).toEqual([]);

    for (const [name, contentType, body] of [
      ['text/plain (CSRF simple request)', 'text/plain', JSON.stringify({ query: '{ organizations { id } }' })],
      ['form-urlencoded', 'application/x-www-form-urlencoded', `query=${q}`],
      ['multipart/form-data', 'multipart/form-data; boundary=x', `--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n{ organizations { id } }\r\n--x--\r\n`],
      ['application/graphql', 'application/graphql', '{ organizations { id } }'],
      ['no content type', '', JSON.stringify({ query: '{ organizations { id } }' })],
      ['broken JSON', 'application/json', '{"query": "{ organizations { id } }"'],
      ['JSON string', 'application/json', '"{ organizations { id } }"'],
      ['JSON null', 'application/json', 'null'],
      ['query is a number', 'application/json', '{"query": 42}'],
      ['variables is a string', 'application/json', '{"query": "{ organizations { id } }", "variables": "x"}'],
      ['no query', 'application/json', '{"variables": {}}'],
      ['unknown operationName', 'application/json', '{"query": "query A { organizations { id } }", "operationName": "B"}'],
      ['two operations, no name', 'application/json', '{"query": "query A { organizations { id } } query B { organizations { id } }"}'],
      ['persisted query hash', 'application/json', '{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "abc"}}}'],
      ['deeply nested JSON variables', 'application/json', `{"query": "query($x: [ID!]) { organizations { id } }", "variables": {"x": ${'['.repeat(100_000)}${']'.repeat(100_000)}}}`],
    ] as const) {
      const answer = await send(name, { headers: contentType ? { 'Content-Type': contentType } : {}, body });
      // 4xx, or 200 with errors where the protocol says so (persisted-query negotiation).
      expect({ name, status: (answer.status >= 400 && answer.status < 500) || (answer.status === 200 && answer.codes.length > 0) }).toEqual({ name, status: true });
      expectTyped(answer);
    }
    expect((await send('PUT', { method: 'PUT', body: '{}' })).status).toBe(405);

    // Well-formed JSON whose string holds bytes that are not UTF-8. Sent as bytes: a JS string
    // would be re-encoded by fetch as valid UTF-8. Decoding would turn them into U+FFFD, so the
    // server would act on a value the client never sent; it refuses the body instead.
    const notUtf8 = new Uint8Array(Buffer.concat([
      Buffer.from(`{"query":"mutation($org: ID!, $name: String!) { createKubernetesCluster(organizationId: $org, name: $name) { password } }","variables":{"org":"${org}","name":"a`),
      Buffer.from([0xff, 0xfe, 0xc3]),
      Buffer.from('b"}}'),
    ]));
    const invalid = await send('invalid UTF-8 inside a JSON string', { headers: { 'Content-Type': 'application/json; charset=utf-8' }, body: notUtf8 });
    expect({ status: invalid.status, codes: invalid.codes, data: invalid.data }).toEqual({ status: 400, codes: ['BAD_REQUEST'], data: undefined });
    expectTyped(invalid);
    const after = await callGateway<{ organization: { cloudAccounts: unknown[] } }>(url, `{ organization(id: "${org}") { cloudAccounts { id } } }`, {}, token);
    expect(after.data!.organization.cloudAccounts).toEqual([]);
  }, 120_000);

  it('still answers a normal query right after bad input', async () => {
    // Its own bad input, so that the test does not lean on the ones before it having run.
    const fanOut = Array.from({ length: 150 }, (_, i) => (i < 149 ? `fragment F${i} on Organization { ...F${i + 1} ...F${i + 1} }` : `fragment F${i} on Organization { id }`));
    expectTyped(await gql('fragment fan-out bomb, again', `{ organizations { ...F0 } }\n${fanOut.join('\n')}`), 'QUERY_TOO_COMPLEX');
    expectTyped(await send('broken JSON, again', { body: '{"query": "{ organizations { id } }"' }));
    expect((await send('8 MiB body, again', { body: JSON.stringify({ query: '{ organizations { id } }', variables: { x: 'y'.repeat(8 * 1024 * 1024) } }) })).status).toBe(413);

    const res = await callGateway<{ organizations: Array<{ id: string }> }>(url, '{ organizations { id } }', {}, token);
    expect(res.status).toBe(200);
    expect(res.data!.organizations).toEqual([{ id: org }]);
    expect((await fetch(`${stack.gateway.internalUrl}/readyz`)).status).toBe(200);
  });
});

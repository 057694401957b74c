import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createOrganization } from '../../lib/accounts/repository';
import { createApiToken } from '../../lib/accounts/api-tokens';
import { composeSchemas, SCHEMA_DIR } from '../../gateway/supergraph/compose';
import { createPgliteDatabase, type TestDatabase } from '../helpers/databases';
import { callGateway, startTestStack, type TestStack } from '../helpers/stack';
import { waitFor } from '../helpers/promql';
import pino from 'pino';

/** The currency field, removed from the first composition so that only the reloaded one has it. */
const CURRENCY = /\n  "ISO 4217 currency its costs are reported in."\n  currency: String!/;
const CURRENCY_QUERY = '{ organizations { id currency } }';

describe('gateway supergraph reload', () => {
  let t: TestDatabase;
  let stack: TestStack;
  let token: string;
  let supergraphFile: string;
  let schemaCopy: string;
  /** What the gateway logs, one parsed line each. */
  const logged: Array<{ msg?: string }> = [];

  beforeAll(async () => {
    t = await createPgliteDatabase();
    const org = await createOrganization(t.db, 'Reload org');
    token = (await createApiToken(t.db, org.id)).token;
    schemaCopy = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-schema-'));
    for (const file of ['expenses.graphql', 'kubecost.graphql']) fs.copyFileSync(path.join(SCHEMA_DIR, file), path.join(schemaCopy, file));
    // The gateway starts with a composition without Organization.currency (the subgraph still has it).
    const sdl = path.join(schemaCopy, 'expenses.graphql');
    const original = fs.readFileSync(sdl, 'utf8');
    expect(original).toMatch(CURRENCY);
    fs.writeFileSync(sdl, original.replace(CURRENCY, ''));
    supergraphFile = path.join(schemaCopy, 'supergraph.graphql');
    fs.writeFileSync(supergraphFile, composeSchemas(schemaCopy).supergraph);
    const logger = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line) as { msg?: string }) });
    stack = await startTestStack(t.db, { SUPERGRAPH_FILE: supergraphFile }, { gatewayLogger: logger });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await t?.drop();
    fs.rmSync(schemaCopy, { recursive: true, force: true });
  });

  it('swaps in a changed supergraph file without failing a request in flight, and keeps the last good one when a broken one follows', async () => {
    const url = stack.gateway.url;
    expect((await callGateway(url, CURRENCY_QUERY, {}, token)).errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');

    // Keep traffic flowing while the file changes under the gateway.
    let stop = false;
    const outcomes: number[] = [];
    const traffic = (async () => {
      while (!stop) {
        const res = await callGateway(url, '{ organizations { id name } }', {}, token);
        outcomes.push(res.status === 200 && !res.errors ? 1 : 0);
      }
    })();

    try {
      // A new composition with Organization.currency: only it can answer CURRENCY_QUERY.
      fs.copyFileSync(path.join(SCHEMA_DIR, 'expenses.graphql'), path.join(schemaCopy, 'expenses.graphql'));
      const next = composeSchemas(schemaCopy).supergraph;
      expect(next).toMatch(/type Organization[^}]*currency/);
      fs.writeFileSync(`${supergraphFile}.tmp`, next);
      fs.renameSync(`${supergraphFile}.tmp`, supergraphFile);
      await waitFor('the new supergraph', async () => ((await callGateway(url, CURRENCY_QUERY, {}, token)).errors ? undefined : true), 15_000);

      // A broken file: once the gateway has read and refused it, the last good schema still answers.
      fs.writeFileSync(supergraphFile, 'this is not a supergraph');
      await waitFor('the broken supergraph refused', async () => (logged.some((l) => l.msg?.startsWith('new supergraph rejected')) ? true : undefined), 15_000);
    } finally {
      stop = true;
      await traffic;
    }
    expect(outcomes.length).toBeGreaterThan(10);
    expect(outcomes.filter((ok) => ok === 0)).toHaveLength(0);
    const after = await callGateway<{ organizations: Array<{ currency: string }> }>(url, CURRENCY_QUERY, {}, token);
    expect(after.errors).toBeUndefined();
    expect(after.data!.organizations.map((o) => o.currency)).toEqual(['USD']);
  }, 60_000);
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createOrganization } from '../../lib/accounts/repository';
import { createApiToken } from '../../lib/accounts/api-tokens';
import { composeSchemas, SCHEMA_DIR } from '../../gateway/supergraph/compose';
import { createPgliteDatabase, type TestDatabase } from '../helpers/databases';
import { callGateway, startTestStack, type TestStack } from '../helpers/stack';
import { waitFor } from '../helpers/promql';

describe('gateway supergraph reload', () => {
  let t: TestDatabase;
  let stack: TestStack;
  let token: string;
  let supergraphFile: string;
  let schemaCopy: string;

  beforeAll(async () => {
    t = await createPgliteDatabase();
    const org = await createOrganization(t.db, 'Reload org');
    token = (await createApiToken(t.db, org.id)).token;
    schemaCopy = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-schema-'));
    for (const file of ['expenses.graphql', 'kubecost.graphql']) fs.copyFileSync(path.join(SCHEMA_DIR, file), path.join(schemaCopy, file));
    supergraphFile = path.join(schemaCopy, 'supergraph.graphql');
    fs.writeFileSync(supergraphFile, composeSchemas(schemaCopy).supergraph);
    stack = await startTestStack(t.db, { SUPERGRAPH_FILE: supergraphFile });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await t?.drop();
    fs.rmSync(schemaCopy, { recursive: true, force: true });
  });

  it('swaps in a changed supergraph file without failing a request in flight, and ignores a broken one', async () => {
    const url = stack.gateway.url;
    expect((await callGateway(url, '{ organizations { id currency } }', {}, token)).errors).toBeUndefined();

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
      await changeUnderTraffic();
    } finally {
      stop = true;
      await traffic;
    }
    expect(outcomes.length).toBeGreaterThan(10);
    expect(outcomes.filter((ok) => ok === 0)).toHaveLength(0);
    expect((await callGateway(url, '{ organizations { id name } }', {}, token)).errors).toBeUndefined();
  }, 60_000);

  async function changeUnderTraffic(): Promise<void> {
    const url = stack.gateway.url;
    // A new composition in which Organization.currency no longer exists.
    const sdl = path.join(schemaCopy, 'expenses.graphql');
    fs.writeFileSync(sdl, fs.readFileSync(sdl, 'utf8').replace(/\n  "ISO 4217 currency its costs are reported in."\n  currency: String!/, ''));
    const next = composeSchemas(schemaCopy).supergraph;
    expect(next).not.toMatch(/type Organization[^}]*currency/);
    fs.writeFileSync(`${supergraphFile}.tmp`, next);
    fs.renameSync(`${supergraphFile}.tmp`, supergraphFile);
    await waitFor('the new supergraph', async () => {
      const res = await callGateway(url, '{ organizations { id currency } }', {}, token);
      return res.errors?.[0]?.extensions?.code === 'GRAPHQL_VALIDATION_FAILED' ? true : undefined;
    }, 15_000);

    // A broken file is refused; the last good schema keeps serving.
    fs.writeFileSync(supergraphFile, 'this is not a supergraph');
    await new Promise((resolve) => setTimeout(resolve, 2500));
  }
});

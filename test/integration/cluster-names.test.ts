import crypto from 'node:crypto';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createOrganization } from '../../lib/accounts/repository';
import type { RunningService } from '../../lib/http/listen';
import { silentLogger } from '../../lib/log';
import { loadExpensesConfig } from '../../subgraphs/expenses/config';
import { startExpensesSubgraph } from '../../subgraphs/expenses/start';
import { databaseBackends, type TestDatabase } from '../helpers/databases';
import { callSubgraph } from '../helpers/subgraph-client';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'costgraph');
const SECRET = crypto.randomBytes(32).toString('hex');
const CREATE = `mutation($org: ID!, $name: String!) { createKubernetesCluster(organizationId: $org, name: $name) { cloudAccount { id name } } }`;

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

describe.each(databaseBackends())('duplicate cluster names through the API and the CLI ($name)', (backend) => {
  let dir: string;
  let t: TestDatabase;
  let subgraph: RunningService;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-cluster-names-'));
    t = await backend.create();
    subgraph = await startExpensesSubgraph({ config: loadExpensesConfig({ DATA_DIR: dir, INTERNAL_AUTH_SECRET: SECRET, EXPENSES_PORT: '0', EXPENSES_INTERNAL_PORT: '0' }), db: t.db, logger: silentLogger });
  }, 120_000);
  afterAll(async () => {
    await subgraph?.close();
    await t?.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('createKubernetesCluster answers BAD_USER_INPUT for a taken name, also when requests race', async () => {
    const org = (await createOrganization(t.db, 'api names')).id;
    const auth = { secret: SECRET, organizationIds: [org] };
    const first = await callSubgraph<{ createKubernetesCluster: { cloudAccount: { name: string } } }>(subgraph.url, CREATE, { org, name: 'prod' }, auth);
    expect(first.errors).toBeUndefined();
    const again = await callSubgraph(subgraph.url, CREATE, { org, name: 'Prod' }, auth);
    expect(again.data).toBeNull();
    expect(again.errors).toEqual([expect.objectContaining({ message: `organization ${org} already has a cluster named "prod"`, extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) })]);

    const racing = await Promise.all(Array.from({ length: 6 }, () => callSubgraph(subgraph.url, CREATE, { org, name: 'racing' }, auth)));
    expect(racing.filter((r) => !r.errors)).toHaveLength(1);
    for (const r of racing.filter((r) => r.errors)) expect(r.errors![0].extensions?.code).toBe('BAD_USER_INPUT');
  }, 60_000);

  it('cluster create refuses a taken name in one line with a non-zero exit', async () => {
    // PGlite: the CLI owns its own database files, so it creates the organization too.
    const dataDir = fs.mkdtempSync(path.join(dir, 'cli-'));
    const costgraph = (args: string[]): Promise<Run> => {
      const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir };
      delete env.NODE_OPTIONS;
      delete env.DATABASE_URL;
      if (t.url) env.DATABASE_URL = t.url;
      return new Promise((resolve) => {
        execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env, timeout: 120_000 }, (error, stdout, stderr) => {
          resolve({ status: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
        });
      });
    };
    const org = JSON.parse((await costgraph(['org', 'create', '--name', 'cli names', '--json'])).stdout) as { id: string };
    expect(await costgraph(['cluster', 'create', '--org', org.id, '--name', 'edge-1', '--json'])).toMatchObject({ status: 0, stderr: '' });
    const duplicate = await costgraph(['cluster', 'create', '--org', org.id, '--name', 'EDGE-1', '--json']);
    expect(duplicate).toEqual({ status: 1, stdout: '', stderr: `costgraph: organization ${org.id} already has a cluster named "edge-1"\n` });
  }, 120_000);
});

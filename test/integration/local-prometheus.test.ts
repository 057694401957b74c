import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startLocalPrometheus, type LocalPrometheus } from '../../dev/local-prometheus';

describe('local Prometheus', () => {
  let dir: string;
  let first: LocalPrometheus | undefined;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-local-prometheus-'));
  });

  afterAll(async () => {
    await first?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("refuses to pass another Prometheus on its port off as its own", async () => {
    first = await startLocalPrometheus({ dataDir: path.join(dir, 'first'), port: 0 });
    // The other server answers /-/ready at once; without the identity check this start would
    // return a handle to it.
    await expect(startLocalPrometheus({ dataDir: path.join(dir, 'second'), port: first.port })).rejects.toThrow(
      new RegExp(`127.0.0.1:${first.port} is (another Prometheus|taken by another process)`),
    );
    expect((await fetch(`${first.url}/-/ready`)).ok).toBe(true);
  }, 60_000);
});

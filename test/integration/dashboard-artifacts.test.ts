import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
// Not imported from clients/codegen.ts: its plugins are ES modules that jest's CommonJS runtime cannot load.
const DASHBOARD_GENERATED_FILE = path.join(ROOT, 'dashboard', 'src', 'api', 'generated.ts');

describe('dashboard artifacts', () => {
  it('the dashboard\'s generated operations equal a fresh codegen run (run `npx tsx clients/codegen.ts`)', () => {
    // In a child process: codegen's plugins load ES modules that jest's CommonJS runtime cannot.
    const codegen = spawnSync(process.execPath, [require.resolve('tsx/cli'), path.join(ROOT, 'clients', 'codegen.ts'), '--print-dashboard'], { encoding: 'utf8', cwd: ROOT });
    expect(codegen.stderr).toBe('');
    expect(fs.readFileSync(DASHBOARD_GENERATED_FILE, 'utf8')).toBe(codegen.stdout);
  }, 60_000);

  it('the dashboard and its build configuration type-check', () => {
    for (const project of ['dashboard', 'dashboard/tsconfig.build.json']) {
      const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '--noEmit', '-p', path.join(ROOT, project)], { encoding: 'utf8' });
      expect(tsc.stdout + tsc.stderr).toBe('');
      expect(tsc.status).toBe(0);
    }
  }, 60_000);
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dataDirRefusal, PACKAGE_ROOT } from '../../cli/data-dir';

describe('where the CLI may use the default ./data', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-data-dir-'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('in the checkout the CLI runs from, also through a symbolic link', () => {
    expect(PACKAGE_ROOT).toBe(path.resolve(__dirname, '..', '..'));
    expect(dataDirRefusal({}, PACKAGE_ROOT)).toBeUndefined();
    const link = path.join(tmp, 'link');
    fs.symlinkSync(PACKAGE_ROOT, link);
    expect(dataDirRefusal({}, link)).toBeUndefined();
  });

  it('nowhere else, not even below the checkout, unless DATA_DIR is set', () => {
    for (const cwd of [tmp, path.join(PACKAGE_ROOT, 'docs'), path.dirname(PACKAGE_ROOT)]) {
      expect(dataDirRefusal({}, cwd)).toMatch(/^DATA_DIR is not set/);
      expect(dataDirRefusal({ DATA_DIR: '  ' }, cwd)).toMatch(/^DATA_DIR is not set/);
      expect(dataDirRefusal({ DATA_DIR: tmp }, cwd)).toBeUndefined();
    }
  });
});

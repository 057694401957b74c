import fs from 'node:fs';
import path from 'node:path';

type Env = Record<string, string | undefined>;

/** The costgraph checkout (or installed package) this CLI runs from: where `bin/costgraph` lives. */
export const PACKAGE_ROOT = path.resolve(__dirname, '..');

function real(dir: string): string {
  try {
    return fs.realpathSync.native(dir);
  } catch {
    return path.resolve(dir);
  }
}

/**
 * Why the default data directory (`./data`) may not be used, or undefined when it may. The
 * default is meant for the checkout (`scripts/up` runs there); anywhere else it would quietly
 * start a second, empty database in whatever directory the operator happens to be in.
 */
export function dataDirRefusal(env: Env, cwd: string = process.cwd(), root: string = PACKAGE_ROOT): string | undefined {
  if (env.DATA_DIR !== undefined && env.DATA_DIR.trim() !== '') return undefined;
  if (real(cwd) === real(root)) return undefined;
  return `DATA_DIR is not set and ${cwd} is not the costgraph checkout (${root}): set DATA_DIR to costgraph's data directory, or run from the checkout`;
}

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { CommonConfig } from '../config/common';
import { ConfigError } from '../config/env';

/**
 * `INTERNAL_AUTH_SECRET` signs the gateway→subgraph context. Production sets it (every
 * process must share it); in local mode (no DATABASE_URL) one is generated once and kept
 * under DATA_DIR with owner-only permissions.
 */
export function loadInternalSecret(common: CommonConfig, env: Record<string, string | undefined> = process.env): string {
  const configured = env.INTERNAL_AUTH_SECRET?.trim();
  if (configured) {
    if (configured.length < 32) throw new ConfigError('INTERNAL_AUTH_SECRET', 'must be at least 32 characters');
    return configured;
  }
  if (common.databaseUrl) throw new ConfigError('INTERNAL_AUTH_SECRET', 'required when DATABASE_URL is set (production mode)');
  const file = path.join(common.dataDir, 'internal-auth-secret');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    fs.mkdirSync(common.dataDir, { recursive: true });
    const secret = crypto.randomBytes(32).toString('base64url');
    try {
      fs.writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
      return secret;
    } catch {
      // Another process created it first: use theirs.
      return fs.readFileSync(file, 'utf8').trim();
    }
  }
}

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { CommonConfig } from '../config/common';
import { ConfigError } from '../config/env';

const MIN_LENGTH = 32;

/**
 * `INTERNAL_AUTH_SECRET` signs the gateway→subgraph context. Production sets it (every
 * process must share it); in local mode (no DATABASE_URL) one is generated once and kept
 * under DATA_DIR with owner-only permissions.
 */
export function loadInternalSecret(common: CommonConfig, env: Record<string, string | undefined> = process.env): string {
  const configured = env.INTERNAL_AUTH_SECRET?.trim();
  if (configured) {
    if (configured.length < MIN_LENGTH) throw new ConfigError('INTERNAL_AUTH_SECRET', `must be at least ${MIN_LENGTH} characters`);
    return configured;
  }
  if (common.databaseUrl) throw new ConfigError('INTERNAL_AUTH_SECRET', 'required when DATABASE_URL is set (production mode)');
  const file = path.join(common.dataDir, 'internal-auth-secret');
  if (fs.existsSync(file)) return readSecretFile(file);
  fs.mkdirSync(common.dataDir, { recursive: true });
  const secret = crypto.randomBytes(32).toString('base64url');
  // Written whole under a private name, then linked into place: another process starting at
  // the same time sees either no file or the complete secret, never an empty one.
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, secret, { mode: 0o600 });
  try {
    fs.linkSync(temporary, file);
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // Another process created it first: use theirs.
    return readSecretFile(file);
  } finally {
    fs.rmSync(temporary, { force: true });
  }
}

/** Anyone who can read the file can sign as the gateway, so it must be private and whole. */
function readSecretFile(file: string): string {
  const mode = fs.statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new ConfigError('INTERNAL_AUTH_SECRET', `${file} is readable by others (mode ${mode.toString(8).padStart(4, '0')}): chmod 600 it, or delete it to generate a new one`);
  }
  const secret = fs.readFileSync(file, 'utf8').trim();
  if (secret.length < MIN_LENGTH) throw new ConfigError('INTERNAL_AUTH_SECRET', `${file} holds ${secret.length} characters, at least ${MIN_LENGTH} needed: delete it to generate a new one`);
  return secret;
}

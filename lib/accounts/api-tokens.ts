import crypto from 'node:crypto';
import { isId } from './ids';
import type { Queryable } from '../db/database';
import { generateSecret, hashSecret, verifySecret } from './secret-hash';
import { ErrorCode } from '../graphql/errors';
import { AccountError } from './errors';
import { isRole, ROLES, type Role } from './roles';

/**
 * API tokens read `cg_<lookupId>_<secret>`. The lookup id finds the row without a scan; only
 * a scrypt hash of the whole token is stored, so a database dump reveals no usable token.
 */
const TOKEN_SHAPE = /^cg_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface IssuedToken {
  id: string;
  organizationId: string;
  role: Role;
  /** Shown once; never stored. */
  token: string;
}

export interface TokenOwner {
  /** The token's id: who is calling, for logs and the signed context. */
  tokenId: string;
  organizationId: string;
  role: Role;
}

/** How a token's caller is named in the signed context (`subject`), and back. */
export const tokenSubject = (tokenId: string) => `token:${tokenId}`;
export const tokenIdOfSubject = (subject: string): string | null => {
  const id = subject.startsWith('token:') ? subject.slice('token:'.length) : '';
  return isId(id) ? id : null;
};

/** Creating or revoking a token was refused. */
export class TokenError extends AccountError {}

export async function createApiToken(db: Queryable, organizationId: string, name = 'api', role: Role = 'admin'): Promise<IssuedToken> {
  if (!isId(organizationId)) throw new TokenError('NOT_FOUND', `organization ${organizationId} not found`);
  if (!isRole(role)) throw new TokenError(ErrorCode.BAD_USER_INPUT, `role must be one of ${ROLES.join(', ')}`);
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > 200) throw new TokenError(ErrorCode.BAD_USER_INPUT, 'token name must be 1-200 characters');
  const org = await db.query('SELECT 1 FROM organizations WHERE id = $1 AND deleted_at IS NULL', [organizationId]);
  if (org.length === 0) throw new TokenError('NOT_FOUND', `organization ${organizationId} not found`);
  const id = crypto.randomUUID();
  const lookupId = crypto.randomBytes(8).toString('hex');
  const token = `cg_${lookupId}_${generateSecret()}`;
  await db.query('INSERT INTO api_tokens (id, organization_id, lookup_id, token_hash, name, role) VALUES ($1, $2, $3, $4, $5, $6)', [
    id,
    organizationId,
    lookupId,
    await hashSecret(token),
    trimmed,
    role,
  ]);
  return { id, organizationId, role, token };
}

/**
 * Revokes by token id; false when no live token has that id (among `organizationIds`' tokens
 * when given: the API's callers; the CLI is the operator and passes none).
 */
export async function revokeApiToken(db: Queryable, id: string, organizationIds?: readonly string[]): Promise<boolean> {
  if (!isId(id)) return false;
  const result = await db.query(
    'UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL AND ($2::uuid[] IS NULL OR organization_id = ANY($2::uuid[])) RETURNING id',
    [id, organizationIds ? [...organizationIds] : null],
  );
  return result.length > 0;
}

/** A token as listed: never its secret nor its hash. */
export interface ApiTokenRecord {
  id: string;
  organizationId: string;
  name: string;
  role: Role;
  createdAt: Date;
  revokedAt: Date | null;
}

interface ApiTokenRow {
  id: string;
  organization_id: string;
  name: string;
  role: string;
  created_at: Date;
  revoked_at: Date | null;
}

const record = (row: ApiTokenRow): ApiTokenRecord => ({
  id: row.id,
  organizationId: row.organization_id,
  name: row.name,
  role: isRole(row.role) ? row.role : 'read-only',
  createdAt: new Date(row.created_at),
  revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at),
});

/** The organization's tokens, newest first, revoked ones included. */
export async function listApiTokens(db: Queryable, organizationId: string): Promise<ApiTokenRecord[]> {
  if (!isId(organizationId)) return [];
  const rows = await db.query<ApiTokenRow>(
    'SELECT id, organization_id, name, role, created_at, revoked_at FROM api_tokens WHERE organization_id = $1 ORDER BY created_at DESC, id',
    [organizationId],
  );
  return rows.map(record);
}

/** One token by id, or undefined. */
export async function findApiToken(db: Queryable, id: string): Promise<ApiTokenRecord | undefined> {
  if (!isId(id)) return undefined;
  const [row] = await db.query<ApiTokenRow>('SELECT id, organization_id, name, role, created_at, revoked_at FROM api_tokens WHERE id = $1', [id]);
  return row ? record(row) : undefined;
}

/**
 * Who a presented token belongs to, or undefined for anything that is not a live token of a
 * live organization. Costs one scrypt hash for a token whose lookup id exists (`verify`, which
 * callers bound): callers cache verdicts. A lookup id is 64 random bits, not a secret, so
 * answering an unknown one without hashing reveals nothing worth guessing and keeps random
 * tokens off the verification queue.
 */
export async function authenticateToken(
  db: Queryable,
  token: string,
  verify: (secret: string, storedHash: string) => Promise<boolean> = verifySecret,
): Promise<TokenOwner | undefined> {
  const match = TOKEN_SHAPE.exec(token);
  if (!match) return undefined;
  const rows = await db.query<{ id: string; organization_id: string; token_hash: string; role: string }>(
    `SELECT t.id, t.organization_id, t.token_hash, t.role
       FROM api_tokens t JOIN organizations o ON o.id = t.organization_id
      WHERE t.lookup_id = $1 AND t.revoked_at IS NULL AND o.deleted_at IS NULL`,
    [match[1]],
  );
  const row = rows[0];
  if (!row || !(await verify(token, row.token_hash))) return undefined;
  // The column's CHECK admits only known roles; anything else would be a bug, so it gets the least.
  return { tokenId: row.id, organizationId: row.organization_id, role: isRole(row.role) ? row.role : 'read-only' };
}

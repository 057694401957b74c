import crypto from 'node:crypto';
import { isRole, type Role } from '../accounts/roles';

/**
 * The gateway tells subgraphs who is calling in one signed header. Subgraphs trust nothing
 * else: a request without a valid, unexpired signature is refused before any resolver runs.
 */
export const CONTEXT_HEADER = 'x-costgraph-context';

export interface CallerContext {
  /** Who is calling (an API token id), for logs and audit; never a secret. */
  subject: string;
  /** The organizations the caller may see. Everything else behaves as if it did not exist. */
  organizationIds: string[];
  /** What the caller may do: subgraphs refuse every mutation of a `read-only` caller. */
  role: Role;
}

interface Payload {
  sub: string;
  orgs: string[];
  role?: string;
  /** Expiry, ms since epoch: a captured header stops working soon after. */
  exp: number;
}

export class ContextSignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContextSignatureError';
  }
}

const mac = (secret: string, payload: string) => crypto.createHmac('sha256', secret).update(payload).digest();

export function signContext(context: CallerContext, secret: string, ttlMs = 60_000, now = Date.now()): string {
  const payload: Payload = { sub: context.subject, orgs: context.organizationIds, role: context.role, exp: now + ttlMs };
  const encoded = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${encoded}.${mac(secret, encoded).toString('base64url')}`;
}

export function verifyContext(header: string | undefined, secret: string, now = Date.now()): CallerContext {
  if (!header) throw new ContextSignatureError('missing internal context');
  const [encoded, signature, extra] = header.split('.');
  if (!encoded || !signature || extra !== undefined) throw new ContextSignatureError('malformed internal context');
  const expected = mac(secret, encoded);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) throw new ContextSignatureError('bad internal context signature');
  let payload: Payload;
  try {
    payload = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as Payload;
  } catch {
    throw new ContextSignatureError('malformed internal context');
  }
  if (typeof payload.exp !== 'number' || payload.exp < now) throw new ContextSignatureError('expired internal context');
  if (typeof payload.sub !== 'string' || !Array.isArray(payload.orgs) || !payload.orgs.every((o) => typeof o === 'string')) {
    throw new ContextSignatureError('malformed internal context');
  }
  // A context without a known role (signed by a gateway older than roles, during a rolling
  // deploy) may still read but never write: the least a signature can be trusted with.
  return { subject: payload.sub, organizationIds: payload.orgs, role: isRole(payload.role) ? payload.role : 'read-only' };
}

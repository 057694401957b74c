import { createApiToken, findApiToken, listApiTokens, revokeApiToken, type ApiTokenRecord } from '../../lib/accounts/api-tokens';
import { setClusterBillingName } from '../../lib/accounts/kubernetes-clusters';
import type { Role } from '../../lib/accounts/roles';
import type { Organization } from '../../lib/accounts/types';
import { badInput, forbidden, notFound } from '../../lib/graphql/errors';
import type { ExpensesContext } from './context';
import { listImports, type FocusImportRecord } from './data/imports';
import { requireOrganization, typed } from './resolver-guards';

/*
 * What the API does that only the CLI on the server did before: API tokens (ADMIN tokens
 * only), cluster billing names, and the list of bill imports (the imports themselves arrive
 * over HTTP: subgraphs/expenses/focus-upload.ts).
 */

const ROLES_BY_NAME: Record<string, Role> = { ADMIN: 'admin', READ_ONLY: 'read-only' };
/** Roles as the schema names them. */
export const ROLE_NAMES: Record<Role, string> = { admin: 'ADMIN', 'read-only': 'READ_ONLY' };
const FORMAT_NAMES: Record<FocusImportRecord['format'], string> = { csv: 'CSV', 'csv.gz': 'CSV_GZ', parquet: 'PARQUET' };
const MAX_IMPORTS = 500;

function requireAdmin(ctx: ExpensesContext): void {
  if (ctx.caller.role !== 'admin') throw forbidden(`a ${ctx.caller.role} token cannot see or manage API tokens`);
}

const tokenRecord = (token: ApiTokenRecord) => ({ ...token, role: ROLE_NAMES[token.role] });

export const accessResolvers = {
  Mutation: {
    setClusterBillingName: (_: unknown, args: { cloudAccountId: string; billing?: { provider: string; name: string } | null }, ctx: ExpensesContext) =>
      typed(() => setClusterBillingName(ctx.db, args.cloudAccountId, args.billing ? { provider: args.billing.provider.toLowerCase(), name: args.billing.name } : null, ctx.caller.organizationIds)),
    createApiToken: (_: unknown, args: { organizationId: string; name: string; role: string }, ctx: ExpensesContext) =>
      typed(async () => {
        const organizationId = requireOrganization(ctx, args.organizationId);
        const role = ROLES_BY_NAME[args.role];
        if (!role) throw badInput(`role must be ADMIN or READ_ONLY`, 'role');
        const issued = await createApiToken(ctx.db, organizationId, args.name, role);
        const created = await findApiToken(ctx.db, issued.id);
        return { token: issued.token, apiToken: tokenRecord(created!) };
      }),
    revokeApiToken: (_: unknown, args: { id: string }, ctx: ExpensesContext) =>
      typed(async () => {
        const found = await findApiToken(ctx.db, args.id);
        if (!found || !ctx.caller.organizationIds.includes(found.organizationId)) throw notFound('API token', args.id);
        if (found.revokedAt === null) await revokeApiToken(ctx.db, found.id, ctx.caller.organizationIds);
        return tokenRecord((await findApiToken(ctx.db, found.id))!);
      }),
  },
  Organization: {
    apiTokens: async (org: Organization, _: unknown, ctx: ExpensesContext) => {
      requireAdmin(ctx);
      return (await listApiTokens(ctx.db, org.id)).map(tokenRecord);
    },
    imports: async (org: Organization, args: { first: number }, ctx: ExpensesContext) => {
      if (!Number.isInteger(args.first) || args.first < 1 || args.first > MAX_IMPORTS) throw badInput(`first must be between 1 and ${MAX_IMPORTS}`, 'first');
      return (await listImports(ctx.db, org.id, args.first)).map((record) => ({ ...record, format: FORMAT_NAMES[record.format] }));
    },
  },
};

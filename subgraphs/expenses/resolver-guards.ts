import { GraphQLError } from 'graphql';
import { AccountError } from '../../lib/accounts/errors';
import { isId } from '../../lib/accounts/ids';
import { badInput, notFound } from '../../lib/graphql/errors';
import type { ExpensesContext } from './context';
import { ExpenseQueryError } from './data/queries';

/** Library errors carry a code; they become typed GraphQL errors here and nowhere else. */
export async function typed<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ExpenseQueryError) throw badInput(error.message);
    if (error instanceof AccountError) throw new GraphQLError(error.message, { extensions: { code: error.code } });
    throw error;
  }
}

/** The organization `id` when the caller may act on it; NOT_FOUND otherwise (unknown and foreign alike). */
export function requireOrganization(ctx: ExpensesContext, id: string): string {
  if (!isId(id) || !ctx.caller.organizationIds.includes(id)) throw notFound('organization', id);
  return id;
}

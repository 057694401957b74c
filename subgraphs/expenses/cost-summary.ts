import { isId } from '../../lib/accounts/ids';
import type { Organization } from '../../lib/accounts/types';
import { checkRange, parseRepresentedRange, type DateRange } from '../../lib/graphql/date-range';
import { toScope } from './args';
import type { ExpensesContext } from './context';

/** A CostSummary entity: its key is the organization and the range. */
export interface CostSummaryKey {
  organizationId: string;
  from: Date;
  to: Date;
}

/** `Organization.costSummary` and the `CostSummary` entity (the cloud half of the combined view). */
export const costSummaryResolvers = {
  organizationField: (org: Organization, args: { range: DateRange }): CostSummaryKey => {
    const { from, to } = checkRange(args.range);
    return { organizationId: org.id, from, to };
  },
  entity: {
    // Representations arrive as raw JSON: parse and scope them like any argument.
    __resolveReference: (ref: { organizationId: unknown; from: unknown; to: unknown }, ctx: ExpensesContext): CostSummaryKey | null => {
      if (!isId(ref.organizationId) || !ctx.caller.organizationIds.includes(ref.organizationId)) return null;
      return { organizationId: ref.organizationId, ...parseRepresentedRange(ref.from, ref.to) };
    },
    cloudCost: async (s: CostSummaryKey, _: unknown, ctx: ExpensesContext) =>
      (await ctx.loaders.summary.load(toScope(s.organizationId, s, null, 'BILLED'))).totalCost,
    kubernetesClusterIds: async (s: CostSummaryKey, _: unknown, ctx: ExpensesContext) =>
      (await ctx.loaders.accountsOfOrganization.load(s.organizationId)).filter((a) => a.type === 'kubernetes').map((a) => a.id),
  },
};

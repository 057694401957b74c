import { request } from './client';
import { HeadlineDocument, type HeadlineQuery } from './graphql';

/** The dashboard's headline for an organization and a half-open range. */
export async function fetchHeadline(endpoint: string, token: string, organizationId: string, range: { from: Date; to: Date }) {
  const result = await request(endpoint, token, HeadlineDocument, {
    org: organizationId,
    range: { from: range.from.toISOString(), to: range.to.toISOString() },
  });
  const organization: HeadlineQuery['organization'] = result.data?.organization ?? null;
  return { organization, errors: result.errors ?? [] };
}

/*
 * What the API does for each command of the CLI, so that nothing needs a shell on the server
 * (docs/api.md lists them; a test keeps this, the CLI and the API in step). Operator-only
 * commands run or set up the service itself.
 */

/** Commands that only make sense on the server: they run, build or seed the stack. */
export const OPERATOR_ONLY = ['up', 'demo', 'compose', 'serve', 'migrate', 'org create'] as const;

/**
 * Per command, the API operation that does the same: a GraphQL mutation (`mutation name`), a
 * GraphQL field (`query Type.field`) or a REST operation (`METHOD /path`).
 */
export const API_EQUIVALENTS: Record<string, string> = {
  'cluster create': 'mutation createKubernetesCluster',
  'cluster list': 'query Organization.cloudAccounts',
  'cluster status': 'query CloudAccount.ingestStatus',
  'cluster rotate-credential': 'mutation rotateClusterCredential',
  'cluster set-billing-name': 'mutation setClusterBillingName',
  'cluster delete': 'mutation deleteCloudAccount',
  'import focus': 'POST /api/v1/organizations/{organization_id}/imports/focus',
  'token create': 'mutation createApiToken',
  'token list': 'query Organization.apiTokens',
  'token revoke': 'mutation revokeApiToken',
};

import type { Command } from 'commander';
import { isId } from '../../lib/accounts/ids';
import { createApiToken, listApiTokens, revokeApiToken, TokenError } from '../../lib/accounts/api-tokens';
import { isRole, ROLES } from '../../lib/accounts/roles';
import { print, withDatabase } from '../context';
import { CliError } from '../errors';

export function registerTokenCommands(program: Command): void {
  const token = program.command('token').description('manage API tokens for the GraphQL gateway');
  token
    .command('create')
    .description("create an API token for an organization (printed once; only a hash is kept)")
    .requiredOption('--org <id>', 'organization id')
    .option('--name <name>', 'what the token is for', 'api')
    .option('--role <role>', 'what the token may do: admin (queries and mutations) or read-only (queries only)', 'admin')
    .option('--json', 'print JSON')
    .action(async (options: { org: string; name: string; role: string; json?: boolean }) => {
      if (!isId(options.org)) throw new CliError(`--org: "${options.org}" is not an organization id`);
      const role = options.role;
      if (!isRole(role)) throw new CliError(`--role: "${role}" is not a role (${ROLES.join(', ')})`);
      const issued = await withDatabase((db) => createApiToken(db, options.org, options.name, role)).catch((error: unknown) => {
        throw error instanceof TokenError ? new CliError(error.message) : error;
      });
      print(
        !!options.json,
        { id: issued.id, organizationId: issued.organizationId, role: issued.role, token: issued.token },
        `token ${issued.id} (${issued.role}): ${issued.token}\n(shown once; use it as Authorization: Bearer <token>)`,
      );
    });
  token
    .command('list')
    .description("list an organization's API tokens, newest first, revoked ones included (never their secrets)")
    .requiredOption('--org <id>', 'organization id')
    .option('--json', 'print JSON')
    .action(async (options: { org: string; json?: boolean }) => {
      if (!isId(options.org)) throw new CliError(`--org: "${options.org}" is not an organization id`);
      const tokens = await withDatabase((db) => listApiTokens(db, options.org));
      const when = (date: Date | null) => (date ? date.toISOString() : '-');
      print(
        !!options.json,
        tokens.map((t) => ({ id: t.id, name: t.name, role: t.role, createdAt: t.createdAt.toISOString(), revokedAt: t.revokedAt?.toISOString() ?? null })),
        tokens.length === 0 ? 'no tokens' : tokens.map((t) => `${t.id}  ${t.role.padEnd(9)}  created ${when(t.createdAt)}  revoked ${when(t.revokedAt)}  ${t.name}`).join('\n'),
      );
    });
  token
    .command('revoke')
    .description('revoke an API token by its id; gateways stop accepting it within a minute')
    .argument('<id>', 'token id (printed by token create)')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      if (!isId(id)) throw new CliError(`"${id}" is not a token id`);
      const revoked = await withDatabase((db) => revokeApiToken(db, id));
      if (!revoked) throw new CliError(`token ${id} not found or already revoked`);
      print(!!options.json, { id, revoked: true }, `token ${id} revoked`);
    });
}

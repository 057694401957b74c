/**
 * What an API token may do. `admin` runs queries and mutations; `read-only` runs queries only,
 * which every subgraph enforces itself (lib/graphql/subgraph-server.ts), whatever the gateway does.
 */
export const ROLES = ['admin', 'read-only'] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (value: unknown): value is Role => typeof value === 'string' && (ROLES as readonly string[]).includes(value);
